using LearnHub.Server.Hosting;
using Microsoft.Extensions.Configuration;

namespace LearnHub.Server.Tests.Web;

/// <summary><c>Web:TrustedProxies</c> takes addresses and CIDR ranges; anything else stops the start with one line.</summary>
public sealed class TrustedProxySettingTests
{
    [Theory]
    [InlineData("10.0.0.5", "10.0.0.5/32")]
    [InlineData("10.0.0.0/8", "10.0.0.0/8")]
    [InlineData("2001:db8::/32", "2001:db8::/32")]
    [InlineData("::ffff:192.0.2.1", "192.0.2.1/32")]
    public void Addresses_and_ranges_are_taken(string value, string expected)
    {
        var proxies = TrustedProxies.Read(Settings(value));

        Assert.Equal(expected, Assert.Single(proxies).ToString());
    }

    [Theory]
    [InlineData("proxy.internal")]
    [InlineData("10.0.0.0/33")]
    [InlineData("*")]
    [InlineData("")]
    public void Anything_else_refuses_the_start_in_one_line(string value)
    {
        var refusal = Assert.Throws<StartupRefusedException>(() => TrustedProxies.Read(Settings(value)));

        Assert.StartsWith("LearnHub cannot start: Web:TrustedProxies:0 is ", refusal.Line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', refusal.Line);
    }

    private static IConfiguration Settings(string value) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Web:TrustedProxies:0"] = value }).Build();
}
