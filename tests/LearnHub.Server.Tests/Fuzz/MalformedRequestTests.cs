using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;

namespace LearnHub.Server.Tests.Fuzz;

/// <summary>One host with the fuzz world's objects, shared by the crafted malformed-input cases (none of which changes anything).</summary>
public sealed class MalformedWorld : IAsyncLifetime
{
    private FuzzWorld? world;

    public FuzzWorld World => world ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync() => world = await FuzzWorld.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (world is not null)
        {
            await world.DisposeAsync();
        }
    }
}

/// <summary>
/// Crafted malformed requests: undecodable messages (invalid UTF-8, truncated, garbage, U+0000), out-of-range
/// timestamps, unknown enum numbers and page tokens the server did not issue. Each is INVALID_ARGUMENT with a
/// google.rpc.BadRequest naming the field, and changes nothing.
/// </summary>
public sealed class MalformedRequestTests(MalformedWorld host) : IClassFixture<MalformedWorld>
{
    private FuzzWorld World => host.World;

    private static readonly DateTime Deadline = DateTime.UtcNow.AddMinutes(5);

    // ---- Undecodable messages ---------------------------------------------------------------------------------------

    [Fact]
    public async Task Invalid_utf8_in_a_string_field_is_invalid_argument_naming_that_field_and_creates_nothing()
    {
        var before = await World.Creator.AllSessionsAsync();
        var request = new CreateSessionRequest
        {
            Title = "TITLE",
            PlannedStart = Scenario.Ts(World.App.Now().AddDays(3)),
            DurationMinutes = 60,
        }.ToByteArray();

        var refusal = await RawRefusalAsync(World.Creator, "learnhub.v1.SessionService", "CreateSession", Replace(request, "TITLE", [0x61, 0xC3, 0x28, 0xFF, 0x62]));

        AssertViolation(refusal, "title");
        Assert.Contains("UTF-8", refusal.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(before.Count, (await World.Creator.AllSessionsAsync()).Count);
    }

    [Fact]
    public async Task Invalid_utf8_in_a_repeated_field_names_the_element()
    {
        var request = new CreateCourseRequest { Title = "经济基础", ChapterTitles = { "第1章", "BAD", "第3章" } }.ToByteArray();

        var refusal = await RawRefusalAsync(World.Creator, "learnhub.v1.CourseService", "CreateCourse", Replace(request, "BAD", [0xED, 0xA0, 0x80]));

        AssertViolation(refusal, "chapter_titles[1]");
    }

    [Fact]
    public async Task A_truncated_message_names_the_field_it_ends_in()
    {
        var request = new CreateSessionRequest { Title = "经济基础第21章考点梳理", DurationMinutes = 60 }.ToByteArray();

        var refusal = await RawRefusalAsync(World.Creator, "learnhub.v1.SessionService", "CreateSession", request[..6]);

        AssertViolation(refusal, "title");
        Assert.Contains("数据不完整", refusal.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0F")] // wire type 7 does not exist
    [InlineData("00")] // field number 0
    [InlineData("FFFFFFFFFFFFFFFFFFFF01")] // an 11-byte varint tag
    [InlineData("0C")] // an end-group without its start
    public async Task Garbage_is_invalid_argument_on_the_message_as_a_whole(string hex)
    {
        var refusal = await RawRefusalAsync(World.Viewer, "learnhub.v1.SessionService", "ListSessions", Convert.FromHexString(hex));

        AssertViolation(refusal, "");
        Assert.Contains("protobuf", refusal.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_nul_character_in_an_id_is_invalid_argument_before_any_store_sees_it()
    {
        var refusal = await Assert.ThrowsAsync<RpcException>(() =>
            World.Viewer.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = "s_\0" }, deadline: Deadline).ResponseAsync);

        AssertViolation(refusal, "session_id");
        Assert.Contains("U+0000", refusal.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_nul_character_in_text_is_invalid_argument_and_creates_nothing()
    {
        var before = (await World.Creator.Courses.ListCoursesAsync(new ListCoursesRequest { PageSize = 100 })).Courses.Count;

        var refusal = await Assert.ThrowsAsync<RpcException>(() =>
            World.Creator.Courses.CreateCourseAsync(new CreateCourseRequest { Title = "经济\0基础", ChapterTitles = { "第1章" } }, deadline: Deadline).ResponseAsync);

        AssertViolation(refusal, "title");
        Assert.Equal(before, (await World.Creator.Courses.ListCoursesAsync(new ListCoursesRequest { PageSize = 100 })).Courses.Count);
    }

    [Fact]
    public async Task A_server_stream_refuses_an_undecodable_request_the_same_way()
    {
        var request = Replace(new WatchSessionRequest { SessionId = "SESSION" }.ToByteArray(), "SESSION", [0xFF]);
        var method = ApiMethods.RawStreaming(PresenceService.Descriptor.FindMethodByName("WatchSession"));
        using var call = World.App.Invoker(World.Viewer.Token).AsyncServerStreamingCall(method, null, new CallOptions(deadline: Deadline), request);

        var refusal = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));

        AssertViolation(refusal, "session_id");
    }

    [Fact]
    public async Task Health_and_reflection_refuse_undecodable_requests_and_still_work()
    {
        var health = new Method<byte[], byte[]>(MethodType.Unary, "grpc.health.v1.Health", "Check",
            Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));
        var request = Replace(new HealthCheckRequest { Service = "SVC" }.ToByteArray(), "SVC", [0xC0, 0xAF]);

        var refusal = await Assert.ThrowsAsync<RpcException>(() => World.App.Channel.CreateCallInvoker().AsyncUnaryCall(health, null, new CallOptions(deadline: Deadline), request).ResponseAsync);

        AssertViolation(refusal, "service");
        var serving = await new Health.HealthClient(World.App.Channel).CheckAsync(new HealthCheckRequest(), deadline: Deadline);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, serving.Status);
        // Reflection (a duplex stream) is bound by the same provider and still lists the API.
        using var reflection = new ServerReflection.ServerReflectionClient(World.App.Channel).ServerReflectionInfo(deadline: Deadline);
        await reflection.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await reflection.RequestStream.CompleteAsync();
        Assert.True(await reflection.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Contains(reflection.ResponseStream.Current.ListServicesResponse.Service, s => s.Name == "learnhub.v1.SessionService");
    }

    // ---- Timestamps ---------------------------------------------------------------------------------------------------

    public static TheoryData<long, int> OutOfRangeTimestamps => new()
    {
        { long.MaxValue, -1 },
        { long.MinValue, 0 },
        { 253_402_300_800, 0 },
        { -62_135_596_801, 0 },
        { 1_900_000_000, 1_000_000_000 },
        { 1_900_000_000, -1 },
    };

    [Theory]
    [MemberData(nameof(OutOfRangeTimestamps))]
    public async Task An_out_of_range_timestamp_is_invalid_argument_naming_the_field(long seconds, int nanos)
    {
        var bad = new Timestamp { Seconds = seconds, Nanos = nanos };
        var before = await World.Creator.AllSessionsAsync();
        var session = before.First(s => s.Status == LearnHub.Api.V1.SessionStatus.Scheduled && s.InstructorId == World.Creator.Id);

        await Refusal.AssertAsync(StatusCode.InvalidArgument, "planned_start", async () => await World.Creator.Sessions.CreateSessionAsync(
            new CreateSessionRequest { Title = "经济基础第21章考点梳理", PlannedStart = bad, DurationMinutes = 60 }, deadline: Deadline));
        await Refusal.AssertAsync(StatusCode.InvalidArgument, "planned_start", async () => await World.Creator.Sessions.UpdateSessionAsync(
            new UpdateSessionRequest { SessionId = session.Id, PlannedStart = bad }, deadline: Deadline));
        await Refusal.AssertAsync(StatusCode.InvalidArgument, "start_from", async () => await World.Viewer.Sessions.ListSessionsAsync(
            new ListSessionsRequest { StartFrom = bad }, deadline: Deadline));
        await Refusal.AssertAsync(StatusCode.InvalidArgument, "start_before", async () => await World.Viewer.Sessions.ListSessionsAsync(
            new ListSessionsRequest { StartBefore = bad }, deadline: Deadline));

        var after = await World.Creator.AllSessionsAsync();
        Assert.Equal(before.Select(s => (s.Id, s.Version)), after.Select(s => (s.Id, s.Version)));
    }

    [Fact]
    public async Task The_edges_of_the_timestamp_range_are_read_as_times()
    {
        // Valid Timestamps, far from now: refused by the scheduling rules, not by decoding.
        var earliest = await Assert.ThrowsAsync<RpcException>(() => World.Creator.Sessions.CreateSessionAsync(new CreateSessionRequest
        {
            Title = "经济基础", PlannedStart = new Timestamp { Seconds = -62_135_596_800 }, DurationMinutes = 60,
        }, deadline: Deadline).ResponseAsync);
        Assert.Contains("晚于现在", earliest.Status.Detail, StringComparison.Ordinal);
        var listed = await World.Viewer.Sessions.ListSessionsAsync(new ListSessionsRequest
        {
            StartFrom = new Timestamp { Seconds = -62_135_596_800 },
            StartBefore = new Timestamp { Seconds = 253_402_300_799, Nanos = 999_999_999 },
            PageSize = 100,
        }, deadline: Deadline);
        Assert.NotEmpty(listed.Sessions);
    }

    [Theory]
    [InlineData("9999-12-31", "23:59")]
    [InlineData("0001-01-01", "00:00")]
    public async Task A_series_from_the_ends_of_the_calendar_is_invalid_argument_on_start_date(string startDate, string localTime)
    {
        var course = (await World.Creator.Courses.ListCoursesAsync(new ListCoursesRequest { InstructorId = World.Creator.Id }, deadline: Deadline)).Courses[0];

        await Refusal.AssertAsync(StatusCode.InvalidArgument, "start_date", async () => await World.Creator.Sessions.PlanCourseSeriesAsync(new PlanCourseSeriesRequest
        {
            CourseId = course.Id, Weekdays = { 1, 5 }, LocalTime = localTime, StartDate = startDate, TimeZone = "Asia/Shanghai", DurationMinutes = 60, DryRun = true,
        }, deadline: Deadline));
    }

    // ---- Open enums -------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(99)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public async Task An_unknown_session_status_number_is_invalid_argument(int number)
    {
        await Refusal.AssertAsync(StatusCode.InvalidArgument, "statuses", async () => await World.Viewer.Sessions.ListSessionsAsync(
            new ListSessionsRequest { Statuses = { LearnHub.Api.V1.SessionStatus.Scheduled, (LearnHub.Api.V1.SessionStatus)number } }, deadline: Deadline));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-7)]
    [InlineData(0)]
    public async Task An_unknown_broadcast_kind_is_invalid_argument_and_freezes_no_quota(int number)
    {
        var quota = await World.Creator.Broadcasts.GetQuotaAsync(new GetQuotaRequest(), deadline: Deadline);

        await Refusal.AssertAsync(StatusCode.InvalidArgument, "kind", async () => await World.Creator.Broadcasts.SubmitBroadcastAsync(new SubmitBroadcastRequest
        {
            RequestId = $"unknown-kind-{number}",
            Kind = (BroadcastKind)number,
            Text = "本周直播安排",
            AgreedToAgreement = true,
            AgreementVersion = quota.AgreementVersion,
        }, deadline: Deadline));

        var after = await World.Creator.Broadcasts.GetQuotaAsync(new GetQuotaRequest(), deadline: Deadline);
        Assert.Equal((quota.Frozen, quota.Consumed), (after.Frozen, after.Consumed));
    }

    // ---- Page tokens ------------------------------------------------------------------------------------------------

    /// <summary>Every list, as a call that takes a page token and returns (first item id, next token), with who has two pages of it.</summary>
    private IReadOnlyList<(string List, TestUser Reader, Func<TestUser, string, Task<(string First, string Next)>> Page)> Lists() =>
    [
        ("ListSessions", World.Staff, async (u, t) => { var r = await u.Sessions.ListSessionsAsync(new ListSessionsRequest { PageSize = 1, PageToken = t }, deadline: Deadline); return Page(r.Sessions.Select(s => s.Id), r.NextPageToken); }),
        ("ListCourses", World.Staff, async (u, t) => { var r = await u.Courses.ListCoursesAsync(new ListCoursesRequest { PageSize = 1, PageToken = t }, deadline: Deadline); return Page(r.Courses.Select(c => c.Id), r.NextPageToken); }),
        ("ListMyReservations", World.Staff, async (u, t) => { var r = await u.Sessions.ListMyReservationsAsync(new ListMyReservationsRequest { PageSize = 1, PageToken = t, IncludePast = true }, deadline: Deadline); return Page(r.Reservations.Select(x => x.SessionId), r.NextPageToken); }),
        ("ListRecommendations", World.Staff, async (u, t) => { var r = await u.Sessions.ListRecommendationsAsync(new ListRecommendationsRequest { PageSize = 1, PageToken = t }, deadline: Deadline); return Page(r.Items.Select(x => x.Session.Id), r.NextPageToken); }),
        ("ListNotifications", World.Staff, async (u, t) => { var r = await u.Notifications.ListNotificationsAsync(new ListNotificationsRequest { PageSize = 1, PageToken = t }, deadline: Deadline); return Page(r.Notifications.Select(n => n.Id), r.NextPageToken); }),
        ("ListUsers", World.Staff, async (u, t) => { var r = await u.Admin.ListUsersAsync(new ListUsersRequest { PageSize = 1, PageToken = t }, deadline: Deadline); return Page(r.Users.Select(x => x.Id), r.NextPageToken); }),
        ("ListInbox", World.Staff, async (u, t) => { var r = await u.Inbox.ListInboxAsync(new ListInboxRequest { PageSize = 1, PageToken = t }, deadline: Deadline); return Page(r.Messages.Select(m => m.Id), r.NextPageToken); }),
        ("ListMyBroadcasts", World.Creator, async (u, t) => { var r = await u.Broadcasts.ListMyBroadcastsAsync(new ListMyBroadcastsRequest { PageSize = 1, PageToken = t }, deadline: Deadline); return Page(r.Broadcasts.Select(b => b.Id), r.NextPageToken); }),
        ("ListReviewQueue", World.Staff, async (u, t) => { var r = await u.Broadcasts.ListReviewQueueAsync(new ListReviewQueueRequest { PageSize = 1, PageToken = t }, deadline: Deadline); return Page(r.Items.Select(i => i.Broadcast.Id), r.NextPageToken); }),
        ("ListReports", World.Staff, async (u, t) => { var r = await u.Broadcasts.ListReportsAsync(new ListReportsRequest { PageSize = 1, PageToken = t, IncludeClosed = true }, deadline: Deadline); return Page(r.Reports.Select(x => x.Id), r.NextPageToken); }),
        ("ListFollowing", World.Staff, async (u, t) => { var r = await u.Follows.ListFollowingAsync(new ListFollowingRequest { PageSize = 1, PageToken = t }, deadline: Deadline); return Page(r.Creators.Select(c => c.CreatorId), r.NextPageToken); }),
    ];

    private static (string First, string Next) Page(IEnumerable<string> ids, string next) => (ids.FirstOrDefault() ?? "", next);

    [Fact]
    public async Task Every_list_pages_with_its_own_tokens_and_refuses_any_other_token()
    {
        var lists = Lists();
        // Every list RPC of the API is here: a new list must get its row (and signed tokens).
        var listMethods = ApiMethods.Unary().Where(m => m.InputType.FindFieldByName("page_token") is not null).Select(m => m.Name).Order().ToList();
        Assert.Equal(listMethods, lists.Select(l => l.List).Order().ToList());

        var tokens = new Dictionary<string, string>();
        foreach (var (list, reader, page) in lists)
        {
            var (first, next) = await page(reader, "");
            Assert.False(string.IsNullOrEmpty(next), $"{list}: the world should give {reader.Handle} two pages");
            var (second, _) = await page(reader, next);
            Assert.NotEqual(first, second);
            tokens[list] = next;
        }

        foreach (var (list, reader, page) in lists)
        {
            var genuine = tokens[list];
            var foreign = new List<(string Why, string Token)>
            {
                ("newline", "abc\nxyz"),
                ("a number past long", Convert.ToBase64String(Encoding.UTF8.GetBytes("99999999999999999999\nx"))),
                ("the old unsigned format", Convert.ToBase64String(Encoding.UTF8.GetBytes("1700000000000\ns_x")).TrimEnd('=')),
                ("one character changed", genuine[..^2] + (genuine[^2] == 'A' ? 'B' : 'A') + genuine[^1]),
                ("cut short", genuine[..^4]),
                ("padded", genuine + "AA"),
                ("5,000 characters", new string('A', 5_000)),
                ("another list's", tokens[list == "ListFollowing" ? "ListSessions" : "ListFollowing"]),
            };
            var other = reader == World.Staff ? World.Viewer : World.Staff;
            foreach (var (why, token) in foreign)
            {
                var refusal = await Assert.ThrowsAsync<RpcException>(() => page(reader, token));
                Assert.True(refusal.StatusCode == StatusCode.InvalidArgument, $"{list} with a token {why}: {refusal.Status}");
                AssertViolation(refusal, "page_token");
            }
            // Another user's token of the same list (issued to them, or refused to them before it is read).
            var stolen = await Assert.ThrowsAsync<RpcException>(() => page(other, genuine));
            Assert.True(stolen.StatusCode is StatusCode.InvalidArgument or StatusCode.PermissionDenied, $"{list} with another user's token: {stolen.Status}");
            if (stolen.StatusCode == StatusCode.InvalidArgument)
            {
                AssertViolation(stolen, "page_token");
            }
        }
    }

    [Fact]
    public async Task A_page_token_keeps_working_after_a_restart()
    {
        await using var first = await LearnHubApp.StartAsync();
        var teacher = await first.CreateUserAsync("restart-teacher", "instructor");
        foreach (var title in new[] { "经济基础", "人力资源管理", "财政税收" })
        {
            await teacher.Courses.CreateCourseAsync(new CreateCourseRequest { Title = title }, deadline: Deadline);
        }
        var firstPage = await teacher.Courses.ListCoursesAsync(new ListCoursesRequest { PageSize = 1 }, deadline: Deadline);
        var expected = await teacher.Courses.ListCoursesAsync(new ListCoursesRequest { PageSize = 1, PageToken = firstPage.NextPageToken }, deadline: Deadline);
        await first.StopAsync();

        // Another process on the same data folder (so the same signing key), as another node would be.
        await using var second = await LearnHubApp.StartAsync(dataDirectory: first.DataDirectory, clock: first.Clock);
        var again = new TestUser(teacher.Id, teacher.Handle, teacher.Token, second);
        var secondPage = await again.Courses.ListCoursesAsync(new ListCoursesRequest { PageSize = 1, PageToken = firstPage.NextPageToken }, deadline: Deadline);

        Assert.Equal(expected.Courses.Single().Id, secondPage.Courses.Single().Id);
    }

    // ---- Helpers ----------------------------------------------------------------------------------------------------

    private static async Task<RpcException> RawRefusalAsync(TestUser user, string service, string method, byte[] request)
    {
        var raw = new Method<byte[], byte[]>(MethodType.Unary, service, method, Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));
        var refusal = await Assert.ThrowsAsync<RpcException>(() =>
            user.App.Invoker(user.Token).AsyncUnaryCall(raw, null, new CallOptions(deadline: Deadline), request).ResponseAsync);
        return refusal;
    }

    private static void AssertViolation(RpcException refusal, string field)
    {
        Assert.True(refusal.StatusCode == StatusCode.InvalidArgument, $"expected INVALID_ARGUMENT, got {refusal.Status}");
        var badRequest = refusal.GetRpcStatus()?.GetDetail<BadRequest>();
        Assert.NotNull(badRequest);
        Assert.Contains(badRequest.FieldViolations, v => v.Field == field);
    }

    /// <summary>The encoded message with the UTF-8 bytes of <paramref name="marker"/> (same length) replaced.</summary>
    private static byte[] Replace(byte[] message, string marker, byte[] replacement)
    {
        var needle = Encoding.UTF8.GetBytes(marker);
        var at = message.AsSpan().IndexOf(needle);
        Assert.True(at >= 0);
        // The field's length prefix is one byte before the marker's start for these short messages.
        var result = new List<byte>(message[..at]);
        result[^1] = (byte)(message[at - 1] - needle.Length + replacement.Length);
        result.AddRange(replacement);
        result.AddRange(message[(at + needle.Length)..]);
        return [.. result];
    }
}
