namespace LearnHub.Admin.Components.Live;

/// <summary>
/// The viewers-over-time line of a live session: seeded from the persisted samples, extended by pushes. Pushes closer
/// than <see cref="MinSpacing"/> to the previous point move the newest point instead of adding one, and past
/// <see cref="MaxPoints"/> neighbouring points are merged (keeping the higher count), so a session of many hours stays
/// a light chart.
/// </summary>
public sealed class ViewerTimeline
{
    public static readonly TimeSpan MinSpacing = TimeSpan.FromSeconds(5);

    public const int MaxPoints = 600;

    private readonly List<ViewerPoint> points = [];

    public IReadOnlyList<ViewerPoint> Points => points;

    public void Seed(IEnumerable<ViewerPoint> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        points.Clear();
        foreach (var sample in samples.OrderBy(s => s.At))
        {
            Add(sample.At, sample.Viewers);
        }
    }

    public void Add(DateTimeOffset at, int viewers)
    {
        if (points.Count > 0 && at < points[^1].At)
        {
            return;
        }
        if ((points.Count >= 1 && at == points[^1].At) || (points.Count >= 2 && at - points[^2].At < MinSpacing))
        {
            points[^1] = new ViewerPoint(at, viewers);
        }
        else
        {
            points.Add(new ViewerPoint(at, viewers));
        }
        if (points.Count > MaxPoints)
        {
            Halve();
        }
    }

    private void Halve()
    {
        var last = points[^1];
        var merged = new List<ViewerPoint>(points.Count / 2 + 1);
        for (var i = 0; i + 1 < points.Count - 1; i += 2)
        {
            merged.Add(points[i + 1].Viewers > points[i].Viewers ? points[i + 1] : points[i]);
        }
        merged.Add(last);
        points.Clear();
        points.AddRange(merged);
    }
}

public readonly record struct ViewerPoint(DateTimeOffset At, int Viewers);
