using LearnHub.Server.Hosting;
using Microsoft.Extensions.Configuration;

namespace LearnHub.Server.Tests.Web;

/// <summary>Web:CorsOrigins: exact origins pass (normalized as browsers send them); anything else stops the start with one line.</summary>
public sealed class CorsOriginSettingTests
{
    [Fact]
    public void Exact_origins_are_read_from_a_list_or_a_single_value_and_an_empty_list_is_none()
    {
        Assert.Equal(
            ["https://www.example.com", "http://localhost:8080"],
            GrpcWebAccess.ReadOrigins(Config(("Web:CorsOrigins:0", "https://WWW.example.com"), ("Web:CorsOrigins:1", "http://localhost:8080"))));
        Assert.Equal(["https://www.example.com"], GrpcWebAccess.ReadOrigins(Config(("Web:CorsOrigins", "https://www.example.com:443"))));
        // appsettings.json's "CorsOrigins": [] reads as an empty value.
        Assert.Empty(GrpcWebAccess.ReadOrigins(Config(("Web:CorsOrigins", ""))));
        Assert.Empty(GrpcWebAccess.ReadOrigins(Config()));
    }

    [Theory]
    [InlineData("*", "Web:CorsOrigins contains '*'")]
    [InlineData("https://*.example.com", "not an origin")]
    [InlineData("https://www.example.com/", "not an origin")]
    [InlineData("https://www.example.com/panel", "not an origin")]
    [InlineData("www.example.com", "not an origin")]
    [InlineData("ftp://www.example.com", "not an origin")]
    [InlineData("https://user:pw@www.example.com", "not an origin")]
    public void Anything_but_an_exact_origin_stops_the_start_with_one_line(string value, string expected)
    {
        var refusal = Assert.Throws<StartupRefusedException>(() => GrpcWebAccess.ReadOrigins(Config(("Web:CorsOrigins:0", value))));
        Assert.Contains(expected, refusal.Line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', refusal.Line);
    }

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();
}
