using System.Globalization;

namespace LearnHub.Server.Tests.Telemetry;

/// <summary>One Prometheus text exposition, parsed: each sample line as its series (name and labels) and value.</summary>
public sealed class Scrape
{
    private readonly List<(string Name, string Labels, double Value)> samples = [];

    private Scrape(string text)
    {
        Text = text;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            // name{labels} value [timestamp]; label values here never hold "} " (bounded labels from the code).
            var close = line.LastIndexOf('}');
            var series = close >= 0 ? line[..(close + 1)] : line[..line.IndexOf(' ', StringComparison.Ordinal)];
            var rest = line[series.Length..].Trim().Split(' ');
            var brace = series.IndexOf('{', StringComparison.Ordinal);
            var name = brace >= 0 ? series[..brace] : series;
            var labels = brace >= 0 ? series[(brace + 1)..^1] : "";
            samples.Add((name, labels, double.Parse(rest[0], CultureInfo.InvariantCulture)));
        }
    }

    public string Text { get; }

    public static async Task<Scrape> GetAsync(HttpClient client, string path = "/metrics")
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return new Scrape(await response.Content.ReadAsStringAsync());
    }

    /// <summary>The metric names of every sample.</summary>
    public IReadOnlySet<string> Names => samples.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>Whether a sample of <paramref name="name"/> carries every label given (as <c>key="value"</c>).</summary>
    public bool Has(string name, params string[] labels) => Matching(name, labels).Any();

    /// <summary>The sum of the samples of <paramref name="name"/> carrying every label given (0 when none does).</summary>
    public double Sum(string name, params string[] labels) => Matching(name, labels).Sum(s => s.Value);

    private IEnumerable<(string Name, string Labels, double Value)> Matching(string name, string[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s.Labels.Split(',').Contains(l, StringComparer.Ordinal)));
}
