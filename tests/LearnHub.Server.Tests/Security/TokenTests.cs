using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Core.Interceptors;
using LearnHub.Api.V1;
using LearnHub.Server.Identity;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LearnHub.Server.Tests.Security;

/// <summary>
/// Tokens the server must not accept: each is answered UNAUTHENTICATED and the write it carried changes nothing.
/// The forged tokens name a real admin, so a server that skipped any check would let the write through.
/// </summary>
public sealed class TokenTests
{
    [Fact]
    public async Task A_token_signed_with_another_key_is_refused()
    {
        await using var app = await LearnHubApp.StartAsync();
        var admin = await app.CreateUserAsync("admin", "admin");
        var forged = Sign(app, admin.Id, RandomNumberGenerator.GetBytes(64), ["admin", "viewer"]);

        await AssertRefusedAndNothingWrittenAsync(app, admin, $"Bearer {forged}");
    }

    [Fact]
    public async Task A_real_token_whose_claims_were_edited_is_refused()
    {
        await using var app = await LearnHubApp.StartAsync();
        var admin = await app.CreateUserAsync("admin", "admin");
        var viewer = await app.CreateUserAsync("viewer");
        var parts = viewer.Token.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1]));
        Assert.Contains("\"viewer\"", payload, StringComparison.Ordinal);
        var escalated = Base64UrlEncoder.Encode(payload.Replace("\"viewer\"", "\"admin\"", StringComparison.Ordinal));

        await AssertRefusedAndNothingWrittenAsync(app, admin, $"Bearer {parts[0]}.{escalated}.{parts[2]}");
    }

    [Fact]
    public async Task An_unsigned_token_is_refused()
    {
        await using var app = await LearnHubApp.StartAsync();
        var admin = await app.CreateUserAsync("admin", "admin");
        var header = Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""");
        var payload = Base64UrlEncoder.Encode(Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(admin.Token.Split('.')[1])));

        await AssertRefusedAndNothingWrittenAsync(app, admin, $"Bearer {header}.{payload}.");
    }

    [Fact]
    public async Task An_expired_token_is_refused_once_the_server_clock_passes_its_expiry()
    {
        await using var app = await LearnHubApp.StartAsync();
        var admin = await app.CreateUserAsync("admin", "admin");
        var user = (await app.Services.GetRequiredService<UserStore>().FindAsync(admin.Id, CancellationToken.None))!;
        var shortLived = app.Services.GetRequiredService<TokenIssuer>().Issue(user, lifetime: TimeSpan.FromMinutes(5));
        var ping = new DiagnosticsService.DiagnosticsServiceClient(app.Invoker(shortLived));
        await ping.PingAsync(new PingRequest());

        // Past the expiry and the 30 s clock skew the server tolerates, on the server's clock only.
        app.Clock.Advance(TimeSpan.FromMinutes(6));

        await AssertRefusedAndNothingWrittenAsync(app, admin, $"Bearer {shortLived}");
    }

    [Fact]
    public async Task A_token_issued_already_expired_is_refused()
    {
        await using var app = await LearnHubApp.StartAsync();
        var admin = await app.CreateUserAsync("admin", "admin");
        var user = (await app.Services.GetRequiredService<UserStore>().FindAsync(admin.Id, CancellationToken.None))!;
        var expired = app.Services.GetRequiredService<TokenIssuer>().Issue(user, lifetime: TimeSpan.FromMinutes(-5));

        await AssertRefusedAndNothingWrittenAsync(app, admin, $"Bearer {expired}");
    }

    [Fact]
    public async Task A_token_for_another_issuer_or_audience_is_refused()
    {
        await using var app = await LearnHubApp.StartAsync();
        var admin = await app.CreateUserAsync("admin", "admin");

        await AssertRefusedAndNothingWrittenAsync(app, admin, $"Bearer {Sign(app, admin.Id, key: null, ["admin"], issuer: "someone-else")}");
        await AssertRefusedAndNothingWrittenAsync(app, admin, $"Bearer {Sign(app, admin.Id, key: null, ["admin"], audience: "someone-else")}");
    }

    [Fact]
    public async Task A_missing_token_is_refused()
    {
        await using var app = await LearnHubApp.StartAsync();
        var admin = await app.CreateUserAsync("admin", "admin");

        await AssertRefusedAndNothingWrittenAsync(app, admin, authorization: null);
    }

    [Theory]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Bearer not-a-jwt")]
    [InlineData("Bearer a.b.c")]
    [InlineData("Basic YWRtaW46YWRtaW4=")]
    [InlineData("{token}")]
    [InlineData("Bearer {token}.extra")]
    [InlineData("Bearer {token} {token}")]
    public async Task A_malformed_authorization_header_is_refused(string header)
    {
        await using var app = await LearnHubApp.StartAsync();
        var admin = await app.CreateUserAsync("admin", "admin");

        await AssertRefusedAndNothingWrittenAsync(app, admin, header.Replace("{token}", admin.Token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_same_write_with_the_real_token_goes_through()
    {
        // The control for the refusals above: the identical request, properly signed, is accepted.
        await using var app = await LearnHubApp.StartAsync();
        var admin = await app.CreateUserAsync("admin", "admin");

        var instructor = await app.CreateUserAsync("teacher", "instructor");

        await Writes(app, $"Bearer {admin.Token}").CreateCourseAsync(new CreateCourseRequest
        {
            Title = "经济基础", InstructorId = instructor.Id, ChapterTitles = { "第19章" },
        });

        Assert.Single((await admin.Courses.ListCoursesAsync(new ListCoursesRequest())).Courses);
    }

    /// <summary>
    /// A write and a read sent with <paramref name="authorization"/> are refused UNAUTHENTICATED, and the store holds
    /// no course and no session afterwards (read back with the admin's real token).
    /// </summary>
    private static async Task AssertRefusedAndNothingWrittenAsync(LearnHubApp app, TestUser admin, string? authorization)
    {
        var instructor = await app.Services.GetRequiredService<UserStore>().CreateAsync("teacher", "teacher", ["instructor"], "Asia/Shanghai", CancellationToken.None);
        var write = await Assert.ThrowsAsync<RpcException>(() => Writes(app, authorization).CreateCourseAsync(new CreateCourseRequest
        {
            Title = "经济基础", InstructorId = instructor.Id, ChapterTitles = { "第19章" },
        }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, write.StatusCode);
        var session = await Assert.ThrowsAsync<RpcException>(() => new SessionService.SessionServiceClient(Invoker(app, authorization)).CreateSessionAsync(new CreateSessionRequest
        {
            Title = "经济基础第19章考点梳理", InstructorId = instructor.Id, DurationMinutes = 60,
            PlannedStart = Timestamp.FromDateTimeOffset(app.Clock.GetUtcNow().AddDays(1)),
        }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, session.StatusCode);
        var read = await Assert.ThrowsAsync<RpcException>(() => new IdentityService.IdentityServiceClient(Invoker(app, authorization)).GetMeAsync(new GetMeRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, read.StatusCode);

        Assert.Empty((await admin.Courses.ListCoursesAsync(new ListCoursesRequest())).Courses);
        Assert.Empty((await admin.Sessions.ListSessionsAsync(new ListSessionsRequest())).Sessions);
    }

    private static CourseService.CourseServiceClient Writes(LearnHubApp app, string? authorization) => new(Invoker(app, authorization));

    /// <summary>A channel that sends the authorization header exactly as given (or none).</summary>
    private static CallInvoker Invoker(LearnHubApp app, string? authorization) => authorization is null
        ? app.Channel.CreateCallInvoker()
        : app.Channel.Intercept(metadata =>
        {
            metadata.Add("authorization", authorization);
            return metadata;
        });

    /// <summary>A JWT shaped like the server's own (same claims), signed with <paramref name="key"/> or the server's key.</summary>
    private static string Sign(
        LearnHubApp app, string userId, byte[]? key, string[] roles,
        DateTimeOffset? expires = null, string issuer = "learnhub", string audience = "learnhub")
    {
        var signingKey = key is null
            ? app.Services.GetRequiredService<SigningKeyStore>().Key
            : new SymmetricSecurityKey(key) { KeyId = "learnhub-1" };
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var until = expires?.UtcDateTime ?? now.AddHours(1);
        var claims = new List<Claim> { new(TokenClaims.Subject, userId), new(TokenClaims.Name, "forged") };
        claims.AddRange(roles.Select(r => new Claim(TokenClaims.Role, r)));
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = until < now ? until.AddHours(-1) : now,
            NotBefore = until < now ? until.AddHours(-1) : now,
            Expires = until,
            SigningCredentials = new SigningCredentials(signingKey, SecurityAlgorithms.HmacSha256),
        });
    }
}
