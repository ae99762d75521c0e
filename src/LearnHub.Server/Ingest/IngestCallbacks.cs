using System.Net;
using System.Security.Cryptography;
using System.Text;
using LearnHub.Core.Common;
using LearnHub.Core.Sessions;
using LearnHub.Server.Data;
using LearnHub.Server.Sessions;
using LearnHub.Server.Telemetry;
using Microsoft.Extensions.Options;

namespace LearnHub.Server.Ingest;

/// <summary>
/// nginx-rtmp's <c>on_publish</c> and <c>on_publish_done</c> callbacks (form posts: call, addr, clientid, app, name, …;
/// <c>name</c> is the stream key). A callback may be replayed, come late, or reach several nodes at once: each decision
/// is taken under the session's lock from the row as it stands, and the row remembers which publisher (nginx's
/// clientid) its state belongs to, so only the first delivery of a callback changes anything.
/// </summary>
public sealed partial class IngestCallbacks(
    Database database,
    SessionTriggers triggers,
    ISessionEvents events,
    LearnHubMetrics metrics,
    IOptions<IngestOptions> options,
    TimeProvider clock,
    ILogger<IngestCallbacks> logger)
{
    /// <summary>How long before the planned start a publish takes the session live (as 开播 by hand).</summary>
    public static readonly TimeSpan EarliestPublish = TimeSpan.FromMinutes(30);

    private const int MaxFieldLength = 256;

    private readonly byte[] secretHash = SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.CallbackSecret ?? ""));
    private readonly IPNetwork[] allowed = [.. options.Value.CallbackAllowedAddresses.Select(IngestSettings.ParseNetwork)];

    /// <summary>An accepted publish: 302 to the session id, so nginx renames the stream and its HLS files after it.</summary>
    public async Task<IResult> OnPublishAsync(HttpContext http, CancellationToken ct)
    {
        var (callback, refusal) = await ReadAsync(http, ct);
        if (callback is null)
        {
            return refusal!;
        }
        var decision = await PublishAsync(callback.Name, callback.ClientId, ct);
        if (decision is null)
        {
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }
        http.Response.Headers.Location = decision;
        return Results.StatusCode(StatusCodes.Status302Found);
    }

    public async Task<IResult> OnPublishDoneAsync(HttpContext http, CancellationToken ct)
    {
        var (callback, refusal) = await ReadAsync(http, ct);
        if (callback is null)
        {
            return refusal!;
        }
        await PublishDoneAsync(callback.Name, callback.ClientId, ct);
        return Results.Ok();
    }

    /// <summary>The session id when the publish is accepted; null when refused. Changes the row at most once per publisher.</summary>
    public async Task<string?> PublishAsync(string key, string clientId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var sessionId = await IngestStore.FindSessionByKeyAsync(connection, tx, key, ct);
        if (sessionId is null)
        {
            LogUnknownKey(clientId);
            metrics.IngestPublished(IngestPublishOutcome.UnknownKey);
            return null;
        }
        // The same locks as 开播 (the session's decision lock) and the scheduler's steps (the row): two nodes handed
        // the same callback, or a callback racing 开播 or auto-end, take their turns and the second sees the first's row.
        await Database.LockAsync(connection, tx, DecisionKeys.Session(sessionId), ct);
        await SessionStore.LockRowAsync(connection, tx, sessionId, ct);
        var session = (await SessionStore.FindAsync(connection, sessionId, null, ct, tx))!;
        var now = clock.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        var playbackUrl = PlaybackUrlOf(session.Id);
        switch (session.Status)
        {
            case SessionStatus.Scheduled:
                if (now < session.PlannedStart - EarliestPublish || now >= session.PlannedEnd)
                {
                    return Refused(session.Id, clientId, IngestPublishOutcome.OutsideWindow, "outside its go-live window");
                }
                if (now < session.PlannedStart)
                {
                    // Going live early takes the time from now, as 开播 does: the previous session may still be on air.
                    await Database.LockAsync(connection, tx, DecisionKeys.Schedule(session.InstructorId), ct);
                    if (await SessionStore.FindConflictAsync(connection, tx, session.InstructorId, nowMs, session.PlannedStartMs, session.Id, ct) is not null)
                    {
                        return Refused(session.Id, clientId, IngestPublishOutcome.InstructorBusy, "its instructor's previous session is still on");
                    }
                }
                await SessionLifecycle.GoLiveAsync(connection, tx, session, nowMs, nowMs, ct);
                await IngestStore.SetStateAsync(connection, tx, session.Id, IngestStore.Receiving, clientId, null, playbackUrl, nowMs, ct);
                break;
            case SessionStatus.Live when session.IngestState == IngestStore.Receiving:
                if (session.IngestClientId == clientId)
                {
                    metrics.IngestPublished(IngestPublishOutcome.Repeated);
                    return session.Id; // the accepted publish again (a replay, or a second node): same answer, no change
                }
                return Refused(session.Id, clientId, IngestPublishOutcome.AlreadyReceiving, "another stream is already being received");
            case SessionStatus.Live when session.IngestState == IngestStore.ReconnectGrace && session.IngestClientId == clientId:
                return Refused(session.Id, clientId, IngestPublishOutcome.StoppedPublisher, "a replay of a publish that has since stopped");
            case SessionStatus.Live:
                // Back within the grace (or the first stream of a session started by 开播): the grace's end is dropped.
                await IngestStore.SetStateAsync(connection, tx, session.Id, IngestStore.Receiving, clientId, null, playbackUrl, nowMs, ct);
                break;
            default:
                return Refused(session.Id, clientId, IngestPublishOutcome.SessionOver, "the session is over");
        }
        await tx.CommitAsync(ct);
        LogReceiving(session.Id, clientId, session.Status == SessionStatus.Scheduled);
        metrics.IngestPublished(session.Status == SessionStatus.Scheduled ? IngestPublishOutcome.WentLive : IngestPublishOutcome.Resumed);
        await triggers.SyncAfterCommitAsync(session.Id);
        events.Publish(new SessionChanged(session.Id, SessionStatus.Live));
        return session.Id;
    }

    /// <summary>The current publisher stopped: the session waits out the reconnect grace. Anything else changes nothing.</summary>
    public async Task PublishDoneAsync(string key, string clientId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // nginx reports the name the publisher used: after a rotation that key is no longer the session's.
        var sessionId = await IngestStore.FindSessionByKeyAsync(connection, tx, key, ct);
        if (sessionId is null && await IngestStore.FindReceivingFromAsync(connection, tx, clientId, ct) is [var only])
        {
            sessionId = only;
        }
        if (sessionId is null)
        {
            return;
        }
        await Database.LockAsync(connection, tx, DecisionKeys.Session(sessionId), ct);
        await SessionStore.LockRowAsync(connection, tx, sessionId, ct);
        var session = (await SessionStore.FindAsync(connection, sessionId, null, ct, tx))!;
        if (session.Status != SessionStatus.Live || session.IngestState != IngestStore.Receiving || session.IngestClientId != clientId)
        {
            LogDoneIgnored(session.Id, clientId);
            return;
        }
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var graceEndMs = now + (long)options.Value.ReconnectGrace.TotalMilliseconds;
        await IngestStore.SetStateAsync(connection, tx, session.Id, IngestStore.ReconnectGrace, clientId, graceEndMs, null, now, ct);
        await tx.CommitAsync(ct);
        LogGrace(session.Id, clientId, options.Value.ReconnectGrace);
        metrics.IngestStopped();
        await triggers.SyncAfterCommitAsync(session.Id);
        events.Publish(new SessionChanged(session.Id, SessionStatus.Live));
    }

    /// <summary>A refused publish, logged with its reason and counted under its outcome; null, nginx's 403.</summary>
    private string? Refused(string sessionId, string clientId, IngestPublishOutcome outcome, string reason)
    {
        LogRefused(sessionId, clientId, reason);
        metrics.IngestPublished(outcome);
        return null;
    }

    private string? PlaybackUrlOf(string sessionId) =>
        options.Value.HlsBaseUrl is { Length: > 0 } hls ? $"{hls.TrimEnd('/')}/{sessionId}.m3u8" : null;

    /// <summary>The callback's fields, or a refusal: 404 without ingest, 403 for a wrong secret or address, 400 for a bad form.</summary>
    private async Task<(Callback? Callback, IResult? Refusal)> ReadAsync(HttpContext http, CancellationToken ct)
    {
        if (!options.Value.Enabled)
        {
            return Refuse(Results.NotFound());
        }
        if (!SecretMatches(http.Request.Query["secret"]) || !AddressAllowed(http.Connection.RemoteIpAddress))
        {
            LogUnauthenticated(http.Connection.RemoteIpAddress?.ToString() ?? "(unknown)");
            metrics.IngestCallbackRefused("forbidden");
            return Refuse(Results.StatusCode(StatusCodes.Status403Forbidden));
        }
        if (!http.Request.HasFormContentType)
        {
            return Malformed();
        }
        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(ct);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            return Malformed();
        }
        var name = form["name"];
        var clientId = form["clientid"];
        if (name.Count != 1 || clientId.Count != 1 || !Valid(name[0]) || !Valid(clientId[0]))
        {
            return Malformed();
        }
        return (new Callback(name[0]!, clientId[0]!), null);

        static (Callback?, IResult?) Refuse(IResult result) => (null, result);

        (Callback?, IResult?) Malformed()
        {
            metrics.IngestCallbackRefused("malformed");
            return Refuse(Results.BadRequest());
        }
    }

    private static bool Valid(string? field) => !string.IsNullOrEmpty(field) && field.Length <= MaxFieldLength && !field.Any(char.IsControl);

    private bool SecretMatches(Microsoft.Extensions.Primitives.StringValues secret) =>
        secret.Count == 1 && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(secret[0] ?? "")), secretHash);

    private bool AddressAllowed(IPAddress? address)
    {
        if (allowed.Length == 0)
        {
            return true;
        }
        if (address is null)
        {
            return false;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        return allowed.Any(n => n.Contains(address));
    }

    private sealed record Callback(string Name, string ClientId);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Session {SessionId}: receiving the stream of nginx client {ClientId} (went live: {WentLive})")]
    private partial void LogReceiving(string sessionId, string clientId, bool wentLive);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Session {SessionId}: the stream of nginx client {ClientId} stopped; waiting {Grace} for it to come back")]
    private partial void LogGrace(string sessionId, string clientId, TimeSpan grace);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Information, Message = "Session {SessionId}: publish of nginx client {ClientId} refused: {Reason}")]
    private partial void LogRefused(string sessionId, string clientId, string reason);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Information, Message = "Publish of nginx client {ClientId} refused: no session has that stream key")]
    private partial void LogUnknownKey(string clientId);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Debug, Message = "Session {SessionId}: publish_done of nginx client {ClientId} changes nothing (not its current publisher)")]
    private partial void LogDoneIgnored(string sessionId, string clientId);

    [LoggerMessage(EventId = 2106, Level = LogLevel.Warning, Message = "Ingest callback from {Address} refused: wrong secret or address not allowed")]
    private partial void LogUnauthenticated(string address);
}
