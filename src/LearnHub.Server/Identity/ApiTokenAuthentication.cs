using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Google.Rpc;
using LearnHub.Core.Common;
using LearnHub.Server.Grpc;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace LearnHub.Server.Identity;

/// <summary>The scheme of API clients' bearer tokens (gRPC calls, hub connections).</summary>
public static class ApiTokenDefaults
{
    public const string Scheme = "Bearer";
}

public sealed class ApiTokenOptions : AuthenticationSchemeOptions;

/// <summary>
/// Authenticates a bearer token on every call: its signature, issuer, audience and lifetime (checked by IdentityModel
/// the first time this node sees the token, then remembered until it expires), and its user's current state (the
/// <see cref="UserAccessCache"/>, emptied for a user as soon as their roles, activity or stamp change). A call with a
/// known token therefore costs two dictionary reads and a clock read; the principal it gets is built once per token and
/// per change of its user's access.
/// </summary>
public sealed class ApiTokenAuthenticator(ValidatedTokens tokens, UserAccessCache access)
{
    public ValueTask<AuthenticateResult> AuthenticateAsync(HttpContext context, string scheme)
    {
        if (ReadToken(context) is not { } token)
        {
            return ValueTask.FromResult(AuthenticateResult.NoResult());
        }
        var validation = tokens.ValidateAsync(token);
        if (!validation.IsCompletedSuccessfully)
        {
            return AwaitValidationAsync(validation, context, scheme);
        }
        if (validation.Result is not { } entry)
        {
            return ValueTask.FromResult(AuthenticateResult.Fail(InvalidTokenException.Instance));
        }
        // A store fault here propagates: StoreFaultMiddleware answers UNAVAILABLE (and readiness hears of it).
        var current = access.GetAsync(entry.UserId, context.RequestAborted);
        return current.IsCompletedSuccessfully
            ? ValueTask.FromResult(Judge(entry, current.Result, scheme))
            : AwaitAccessAsync(entry, current, scheme);
    }

    private async ValueTask<AuthenticateResult> AwaitValidationAsync(ValueTask<ValidatedToken?> validation, HttpContext context, string scheme) =>
        await validation is { } entry
            ? Judge(entry, await access.GetAsync(entry.UserId, context.RequestAborted), scheme)
            : AuthenticateResult.Fail(InvalidTokenException.Instance);

    private static async ValueTask<AuthenticateResult> AwaitAccessAsync(ValidatedToken entry, ValueTask<UserAccess> current, string scheme) =>
        Judge(entry, await current, scheme);

    private static AuthenticateResult Judge(ValidatedToken entry, UserAccess current, string scheme) =>
        current.Refuses(entry.Stamp) is { } refusal
            ? AuthenticateResult.Fail(new AccessRefusedException(refusal))
            : entry.ResultFor(current, scheme);

    /// <summary>
    /// The token of an "authorization: Bearer …" header; for the hub also the <c>access_token</c> query parameter, as
    /// browsers' WebSocket and SSE clients cannot set headers.
    /// </summary>
    private static ReadOnlyMemory<char>? ReadToken(HttpContext context)
    {
        var header = context.Request.Headers.Authorization;
        if (header.Count == 1 && header[0] is { Length: > 7 } value && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            // A slice of the header, not a copy: a known token is looked up without allocating.
            var token = value.AsMemory(7).Trim();
            return token.IsEmpty ? null : token;
        }
        if (AuthSchemes.IsHubRequest(context) && context.Request.Query["access_token"] is { Count: 1 } query && query[0] is { Length: > 0 } fromQuery)
        {
            return fromQuery.AsMemory();
        }
        return null;
    }

    private sealed class InvalidTokenException() : Exception("The bearer token is invalid or expired.")
    {
        public static readonly InvalidTokenException Instance = new();
    }
}

/// <summary>
/// The API token scheme as ASP.NET Core's authentication sees it (the hub, and any request the console's middleware
/// hands to the default scheme); gRPC calls take the shorter path of <see cref="GrpcCallAuthentication"/>, with the same
/// <see cref="ApiTokenAuthenticator"/> behind both.
/// </summary>
public sealed class ApiTokenHandler(
    IOptionsMonitor<ApiTokenOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiTokenAuthenticator authenticator)
    : AuthenticationHandler<ApiTokenOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
        authenticator.AuthenticateAsync(Context, Scheme.Name).AsTask();

    /// <summary>A refused gRPC call gets a gRPC status that says why; any other request a bare 401.</summary>
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure;
        if (!GrpcTrailersOnly.IsGrpcRequest(Context))
        {
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            Response.Headers.Append(Microsoft.Net.Http.Headers.HeaderNames.WWWAuthenticate, failure is null ? "Bearer" : "Bearer error=\"invalid_token\"");
            return;
        }
        CallLanguage.Apply(Context);
        var (reason, message) = failure switch
        {
            AccessRefusedException { Refusal: AccessRefusal.Deleted } => ("ACCOUNT_DELETED", LocalizedText.Pick("账号不存在。", "This account no longer exists.")),
            AccessRefusedException { Refusal: AccessRefusal.Deactivated } => ("ACCOUNT_DEACTIVATED", LocalizedText.Pick("账号已停用。", "This account is deactivated.")),
            AccessRefusedException { Refusal: AccessRefusal.Revoked } => ("TOKEN_REVOKED", LocalizedText.Pick("登录已失效，请重新登录。", "Your sign-in has ended. Please sign in again.")),
            null => ("TOKEN_MISSING", LocalizedText.Pick("请先登录。", "Please sign in first.")),
            _ => ("TOKEN_INVALID", LocalizedText.Pick("令牌无效或已过期。", "Your sign-in is invalid or has expired. Please sign in again.")),
        };
        GrpcTrailersOnly.Write(Response, Code.Unauthenticated, message, RpcErrors.Info(reason));
    }
}

/// <summary>
/// Tokens this node has validated, by their text: each is checked by IdentityModel once, then only its lifetime is
/// checked again on each call. Only tokens that passed are kept (an invalid one is checked again every time), so the
/// memory is bounded by the valid tokens clients hold, and by <see cref="MaxEntries"/>.
/// </summary>
public sealed class ValidatedTokens(TokenIssuer issuer, TimeProvider clock)
{
    /// <summary>More entries than this and the cache starts over: a bound on memory, not a working-set size.</summary>
    private const int MaxEntries = 20_000;

    private readonly ConcurrentDictionary<string, ValidatedToken> entries = new(StringComparer.Ordinal);
    private readonly JsonWebTokenHandler handler = new() { MapInboundClaims = false };
    private readonly Microsoft.IdentityModel.Tokens.TokenValidationParameters parameters = issuer.ValidationParameters();

    /// <summary>The token's subject and stamp when it is valid now; null when it is not (or no longer) valid.</summary>
    public ValueTask<ValidatedToken?> ValidateAsync(ReadOnlyMemory<char> token)
    {
        var byText = entries.GetAlternateLookup<ReadOnlySpan<char>>();
        if (byText.TryGetValue(token.Span, out var known))
        {
            if (known.IsCurrent(clock.GetUtcNow(), parameters.ClockSkew))
            {
                return ValueTask.FromResult<ValidatedToken?>(known);
            }
            byText.TryRemove(token.Span, out _);
            return ValueTask.FromResult<ValidatedToken?>(null);
        }
        return ValidateFirstTimeAsync(token.ToString());
    }

    private async ValueTask<ValidatedToken?> ValidateFirstTimeAsync(string token)
    {
        var result = await handler.ValidateTokenAsync(token, parameters);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt
            || result.ClaimsIdentity.FindFirst(TokenClaims.Subject)?.Value is not { Length: > 0 } userId)
        {
            return null;
        }
        var stamp = PrincipalAccess.ParseStamp(result.ClaimsIdentity.FindFirst(TokenClaims.Stamp)?.Value);
        var entry = new ValidatedToken(userId, stamp, jwt.ValidFrom, jwt.ValidTo, result.ClaimsIdentity.Claims.ToArray());
        if (entries.Count >= MaxEntries)
        {
            entries.Clear();
        }
        entries[token] = entry;
        return entry;
    }
}

/// <summary>A token that passed validation: whose it is, the stamp it was issued under and when it is good for.</summary>
public sealed class ValidatedToken(string userId, long stamp, DateTime validFromUtc, DateTime validToUtc, IReadOnlyList<Claim> claims)
{
    // The ticket of the last access state this token was checked against; rebuilt when the state object changes.
    private ResultUnder? last;

    public string UserId { get; } = userId;

    public long Stamp { get; } = stamp;

    public bool IsCurrent(DateTimeOffset now, TimeSpan skew) =>
        now.UtcDateTime < validToUtc + skew && (validFromUtc == DateTime.MinValue || now.UtcDateTime + skew >= validFromUtc);

    /// <summary>
    /// The outcome of a call under <paramref name="access"/>: the token's own claims with the user's current roles. The
    /// same instance serves every call until the user's access changes (nothing downstream changes a ticket).
    /// </summary>
    public AuthenticateResult ResultFor(UserAccess access, string scheme)
    {
        if (Volatile.Read(ref last) is { } known && ReferenceEquals(known.Access, access) && known.Scheme == scheme)
        {
            return known.Result;
        }
        // The lifetime goes on the ticket, so a hub connection made with the token closes when it expires.
        var properties = new AuthenticationProperties
        {
            IssuedUtc = validFromUtc == DateTime.MinValue ? null : new DateTimeOffset(validFromUtc, TimeSpan.Zero),
            ExpiresUtc = new DateTimeOffset(validToUtc, TimeSpan.Zero),
        };
        var result = AuthenticateResult.Success(new AuthenticationTicket(new CallerPrincipal(claims, access.Roles, scheme, Stamp, access.Language), properties, scheme));
        Volatile.Write(ref last, new ResultUnder(access, scheme, result));
        return result;
    }

    private sealed record ResultUnder(UserAccess Access, string Scheme, AuthenticateResult Result);
}

/// <summary>
/// A bearer token's principal: its claims, the user's current roles in place of the token's, and the
/// <see cref="Caller"/> built once, so a service reads its caller without going through the claims again.
/// </summary>
public sealed class CallerPrincipal : ClaimsPrincipal
{
    public CallerPrincipal(IEnumerable<Claim> tokenClaims, FrozenSet<string> roles, string scheme, long stamp, string? language = null)
        : base(new ClaimsIdentity(PrincipalAccess.WithRoleClaims(tokenClaims, roles), scheme, TokenClaims.Name, TokenClaims.Role))
    {
        Caller = new Caller(FindFirst(TokenClaims.Subject)!.Value, roles) { Stamp = stamp, Language = language };
        RateLimitKey = "user:" + Caller.UserId;
    }

    public Caller Caller { get; }

    /// <summary>The caller's rate-limit partition (one bucket per user).</summary>
    public string RateLimitKey { get; }
}

/// <summary>
/// Authentication for gRPC calls: the caller's principal straight from <see cref="ApiTokenAuthenticator"/>, without
/// the per-request scheme selection and handler objects of ASP.NET Core's authentication middleware. A call it cannot
/// authenticate goes on anonymous; authorization then challenges it, and <see cref="ApiTokenHandler"/> answers
/// UNAUTHENTICATED with the reason.
/// </summary>
public sealed class GrpcCallAuthentication(RequestDelegate next, ApiTokenAuthenticator authenticator)
{
    public Task InvokeAsync(HttpContext context)
    {
        // The call's own language first (accept-language), so that a refusal of the token itself is in it.
        CallLanguage.Apply(context);
        var authentication = authenticator.AuthenticateAsync(context, ApiTokenDefaults.Scheme);
        if (!authentication.IsCompletedSuccessfully)
        {
            return AwaitThenNextAsync(authentication, context);
        }
        Apply(context, authentication.Result);
        return next(context);
    }

    private async Task AwaitThenNextAsync(ValueTask<AuthenticateResult> authentication, HttpContext context)
    {
        Apply(context, await authentication);
        await next(context);
    }

    private static void Apply(HttpContext context, AuthenticateResult result)
    {
        if (result.Principal is { } principal)
        {
            context.User = principal;
            // A signed-in caller's saved language wins over accept-language.
            CallLanguage.Apply(context);
        }
        else if (result.Failure is not null)
        {
            context.Items[TokenRefusedKey] = TokenRefused;
        }
    }

    /// <summary>Set when the call came with a token that was refused (invalid, expired, revoked, account gone).</summary>
    internal static readonly object TokenRefusedKey = new();
    private static readonly object TokenRefused = true;

    public static bool RefusedToken(HttpContext context) => context.Items.ContainsKey(TokenRefusedKey);
}

/// <summary>
/// Authorization for gRPC calls. Every LearnHub service declares a plain <c>[Authorize]</c> (any signed-in user; roles
/// and ownership are checked by the services against the store): for such a method this asks only whether the caller
/// is authenticated, and challenges (UNAUTHENTICATED with the reason) when not. A method with any other authorization
/// metadata (roles, policies, schemes), or a fallback policy, goes through ASP.NET Core's authorization middleware.
/// </summary>
public sealed class GrpcCallAuthorization
{
    // Set by ASP.NET Core's own authorization middleware too: the endpoint middleware refuses to run an endpoint with
    // authorization metadata unless an authorization middleware marked the request.
    private const string AuthorizationInvokedKey = "__AuthorizationMiddlewareWithEndpointInvoked";
    private static readonly object Invoked = true;

    private readonly RequestDelegate next;
    private readonly AuthorizationMiddleware framework;
    private readonly bool hasFallbackPolicy;
    private readonly ConcurrentDictionary<Endpoint, bool> signedInOnly = new();
    private readonly ConcurrentDictionary<Endpoint, bool> publicMethod = new();

    public GrpcCallAuthorization(RequestDelegate next, IAuthorizationPolicyProvider policies, IServiceProvider services, IOptions<AuthorizationOptions> options)
    {
        this.next = next;
        framework = new AuthorizationMiddleware(next, policies, services);
        hasFallbackPolicy = options.Value.FallbackPolicy is not null;
    }

    public Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null || !signedInOnly.GetOrAdd(endpoint, NeedsOnlySignedInCaller, hasFallbackPolicy))
        {
            // A public read ([AllowAnonymous] on a method of an [Authorize] service) with a refused token is refused, not
            // served anonymously: the client learns its sign-in ended instead of silently losing reserved_by_me.
            if (endpoint is not null && GrpcCallAuthentication.RefusedToken(context) && publicMethod.GetOrAdd(endpoint, IsPublicMethod))
            {
                context.Items[AuthorizationInvokedKey] = Invoked;
                return context.ChallengeAsync();
            }
            return framework.Invoke(context);
        }
        context.Items[AuthorizationInvokedKey] = Invoked;
        return context.User.Identity?.IsAuthenticated == true ? next(context) : context.ChallengeAsync();
    }

    /// <summary>A method open to token-less callers in a service that otherwise needs a signed-in one (not health or reflection).</summary>
    private static bool IsPublicMethod(Endpoint endpoint) =>
        endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null && endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Count > 0;

    /// <summary>True when the endpoint's only requirement is an authenticated caller (a bare <c>[Authorize]</c>).</summary>
    private static bool NeedsOnlySignedInCaller(Endpoint endpoint, bool hasFallbackPolicy)
    {
        var metadata = endpoint.Metadata;
        if (hasFallbackPolicy || metadata.GetMetadata<IAllowAnonymous>() is not null
            || metadata.GetMetadata<AuthorizationPolicy>() is not null || metadata.GetMetadata<IAuthorizationRequirementData>() is not null)
        {
            return false;
        }
        var declared = metadata.GetOrderedMetadata<IAuthorizeData>();
        return declared.Count > 0 && declared.All(d => d.Policy is null && d.Roles is null && d.AuthenticationSchemes is null);
    }
}
