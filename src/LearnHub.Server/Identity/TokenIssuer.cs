using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LearnHub.Server.Identity;

/// <summary>Mints the JWTs that gRPC clients send as "authorization: Bearer …".</summary>
public sealed class TokenIssuer(SigningKeyStore keys, IOptions<IdentityOptions> options, TimeProvider clock)
{
    private readonly JsonWebTokenHandler handler = new();

    public string Issue(UserRecord user, TimeSpan? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(user);
        var now = clock.GetUtcNow().UtcDateTime;
        var claims = new List<Claim>
        {
            new(TokenClaims.Subject, user.Id),
            new(TokenClaims.Name, user.DisplayName),
            new(TokenClaims.Stamp, user.SecurityStamp.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        claims.AddRange(user.RoleList.Select(role => new Claim(TokenClaims.Role, role)));
        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Value.Issuer,
            Audience = options.Value.Audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = now,
            NotBefore = now,
            Expires = now + (lifetime ?? options.Value.TokenLifetime),
            SigningCredentials = new SigningCredentials(keys.Key, SecurityAlgorithms.HmacSha256),
        });
    }

    public TokenValidationParameters ValidationParameters() => new()
    {
        ValidIssuer = options.Value.Issuer,
        ValidAudience = options.Value.Audience,
        IssuerSigningKey = keys.Key,
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        NameClaimType = TokenClaims.Name,
        RoleClaimType = TokenClaims.Role,
        ClockSkew = TimeSpan.FromSeconds(30),
        // IdentityModel reads the wall clock: judge lifetimes by the clock tokens are minted with (tests move it).
        LifetimeValidator = (notBefore, expires, _, parameters) =>
        {
            var now = clock.GetUtcNow().UtcDateTime;
            return expires is { } until && now < until + parameters.ClockSkew && (notBefore is not { } from || now + parameters.ClockSkew >= from);
        },
    };
}
