using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Health.V1;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using static Grpc.Core.StatusCode;
using ReflectionV1 = global::Grpc.Reflection.V1;
using ReflectionV1Alpha = global::Grpc.Reflection.V1Alpha;

namespace LearnHub.Server.Tests.Security;

/// <summary>Who calls: DOMAIN.md's roles, plus the two sides of ownership for instructors.</summary>
public enum CallerRole
{
    Anonymous,
    Viewer,
    OwnerInstructor,
    OtherInstructor,
    Reviewer,
    Admin,
}

/// <summary>
/// Every RPC of the public API called as every role, each outcome asserted. The table below is the specification:
/// one line per RPC, one column per role. A refused call must leave the owner's courses and sessions exactly as
/// they were. Each row gets a fresh owning instructor with fresh resources, so rows do not depend on each other;
/// the host is shared by the class only because starting 150 hosts would take minutes.
/// </summary>
public sealed class AuthorizationMatrixTests(MatrixHost host) : IClassFixture<MatrixHost>
{
    private const StatusCode Denied = PermissionDenied;
    private const StatusCode Anon = Unauthenticated;
    private const StatusCode Invalid = InvalidArgument;
    private const StatusCode Missing = StatusCode.NotFound;

    private static readonly MatrixRow[] Table =
    [
        //                                         anonymous viewer owner other   reviewer admin
        new("CourseService/CreateCourse",          Anon,     Denied, OK,  Denied, Denied,  OK),
        new("CourseService/GetCourse",             Anon,     OK,     OK,  OK,     OK,      OK),
        new("CourseService/ListCourses",           Anon,     OK,     OK,  OK,     OK,      OK),
        new("CourseService/UpdateCourse",          Anon,     Denied, OK,  Denied, Denied,  OK),
        new("CourseService/AddChapter",            Anon,     Denied, OK,  Denied, Denied,  OK),
        new("CourseService/RenameChapter",         Anon,     Denied, OK,  Denied, Denied,  OK),
        new("CourseService/RemoveChapter",         Anon,     Denied, OK,  Denied, Denied,  OK),
        new("CourseService/ReorderChapters",       Anon,     Denied, OK,  Denied, Denied,  OK),
        new("SessionService/CreateSession",        Anon,     Denied, OK,  Denied, Denied,  OK),
        new("SessionService/GetSession",           OK,       OK,     OK,  OK,     OK,      OK),
        new("SessionService/ListSessions",         Anon,     OK,     OK,  OK,     OK,      OK),
        new("SessionService/UpdateSession",        Anon,     Denied, OK,  Denied, Denied,  OK),
        new("SessionService/CancelSession",        Anon,     Denied, OK,  Denied, Denied,  OK),
        new("SessionService/GoLive",               Anon,     Denied, OK,  Denied, Denied,  OK),
        new("SessionService/EndSession",           Anon,     Denied, OK,  Denied, Denied,  OK),
        new("SessionService/ExtendSession",        Anon,     Denied, OK,  Denied, Denied,  OK),
        // The stream key puts video on air as the instructor: theirs alone, admins included out.
        new("SessionService/GetStreamKey",         Anon,     Denied, OK,  Denied, Denied,  Denied),
        new("SessionService/RotateStreamKey",      Anon,     Denied, OK,  Denied, Denied,  Denied),
        new("SessionService/ReserveSession",       Anon,     OK,     OK,  OK,     OK,      OK),
        new("SessionService/CancelReservation",    Anon,     OK,     OK,  OK,     OK,      OK),
        new("SessionService/ListMyReservations",   Anon,     OK,     OK,  OK,     OK,      OK),
        new("SessionService/ListRecommendations",  OK,       OK,     OK,  OK,     OK,      OK),
        new("SessionService/PlanCourseSeries",     Anon,     Denied, OK,  Denied, Denied,  OK),
        new("NotificationService/ListNotifications",     Anon, OK,   OK,  OK,     OK,      OK),
        new("NotificationService/MarkNotificationsRead", Anon, OK,   OK,  OK,     OK,      OK),
        new("IdentityService/GetMe",               Anon,     OK,     OK,  OK,     OK,      OK),
        new("IdentityService/UpdateMyTimeZone",    Anon,     OK,     OK,  OK,     OK,      OK),
        new("IdentityService/UpdateMyLanguage",    Anon,     OK,     OK,  OK,     OK,      OK),
        new("IdentityService/GetMyCalendarFeedKey", Anon,    OK,     OK,  OK,     OK,      OK),
        new("AdminService/ListUsers",              Anon,     Denied, Denied, Denied, Denied, OK),
        new("AdminService/SetUserRoles",           Anon,     Denied, Denied, Denied, Denied, OK),
        new("AdminService/SetUserActive",          Anon,     Denied, Denied, Denied, Denied, OK),
        new("AdminService/SetCertified",           Anon,     Denied, Denied, Denied, Denied, OK),
        new("AdminService/GetPlatformSettings",    Anon,     Denied, Denied, Denied, Denied, OK),
        new("AdminService/UpdatePlatformSettings", Anon,     Denied, Denied, Denied, Denied, OK),
        new("DiagnosticsService/Ping",             Anon,     OK,     OK,  OK,     OK,      OK),
        new("PresenceService/WatchSession",        OK,       OK,     OK,  OK,     OK,      OK),
        new("PresenceService/GetSessionStats",     Anon,     Denied, OK,  Denied, OK,      OK),
        // Follows: any signed-in user; the owner is the creator followed, and nobody follows or mutes themselves.
        new("FollowService/Follow",                Anon,     OK,     Invalid, OK, OK,      OK),
        new("FollowService/Unfollow",              Anon,     OK,     OK,  OK,     OK,      OK),
        new("FollowService/GetFollowCounts",       Anon,     OK,     OK,  OK,     OK,      OK),
        new("FollowService/ListFollowing",         Anon,     OK,     OK,  OK,     OK,      OK),
        new("FollowService/SetCreatorPreference",  Anon,     OK,     Invalid, OK, OK,      OK),
        new("FollowService/SearchCreators",        Anon,     OK,     OK,  OK,     OK,      OK),
        // Broadcasts: the row's owner is a certified creator; nobody else is certified, so only the owner submits.
        new("BroadcastService/GetQuota",           Anon,     OK,     OK,  OK,     OK,      OK),
        new("BroadcastService/SubmitBroadcast",    Anon,     Denied, OK,  Denied, Denied,  Denied),
        new("BroadcastService/WithdrawBroadcast",  Anon,     Denied, OK,  Denied, Denied,  Denied),
        new("BroadcastService/ListMyBroadcasts",   Anon,     OK,     OK,  OK,     OK,      OK),
        // A pending image: its creator and reviewers see it; to anyone else it does not exist.
        new("BroadcastService/GetBroadcastImage",  Anon,     Missing, OK, Missing, OK,     OK),
        new("BroadcastService/ListReviewQueue",    Anon,     Denied, Denied, Denied, OK,   OK),
        new("BroadcastService/ApproveBroadcast",   Anon,     Denied, Denied, Denied, OK,   OK),
        new("BroadcastService/RejectBroadcast",    Anon,     Denied, Denied, Denied, OK,   OK),
        new("BroadcastService/ListReports",        Anon,     Denied, Denied, Denied, OK,   OK),
        new("BroadcastService/TakeDownBroadcast",  Anon,     Denied, Denied, Denied, OK,   OK),
        new("BroadcastService/DismissReport",      Anon,     Denied, Denied, Denied, OK,   OK),
        // The inbox: any signed-in user, on their own messages; the owner never receives their own broadcast.
        new("InboxService/CheckIn",                Anon,     OK,     OK,  OK,     OK,      OK),
        new("InboxService/ListInbox",              Anon,     OK,     OK,  OK,     OK,      OK),
        new("InboxService/GetInboxSummary",        Anon,     OK,     OK,  OK,     OK,      OK),
        new("InboxService/MarkInboxRead",          Anon,     OK,     OK,  OK,     OK,      OK),
        new("InboxService/DeleteInboxMessage",     Anon,     OK,     Missing, OK, OK,      OK),
        new("InboxService/ReportBroadcast",        Anon,     OK,     Missing, OK, OK,      OK),
        new("InboxService/WatchInbox",             Anon,     OK,     OK,  OK,     OK,      OK),
    ];

    /// <summary>
    /// How each RPC is called against a row's world: the outer function prepares what the call needs (as the owner),
    /// the returned one makes the call as the role under test. Requests name the owner's resources.
    /// </summary>
    private static readonly Dictionary<string, Func<MatrixWorld, Task<Func<CallInvoker, Task>>>> Calls = new()
    {
        ["CourseService/CreateCourse"] = w => Ready(i => Courses(i).CreateCourseAsync(new CreateCourseRequest
        {
            Title = "经济基础", InstructorId = w.Owner.Id, ChapterTitles = { "第19章" },
        }).ResponseAsync),
        ["CourseService/GetCourse"] = async w =>
        {
            var course = await w.CourseAsync();
            return i => Courses(i).GetCourseAsync(new GetCourseRequest { CourseId = course.Id }).ResponseAsync;
        },
        ["CourseService/ListCourses"] = w => Ready(i => Courses(i).ListCoursesAsync(new ListCoursesRequest { InstructorId = w.Owner.Id }).ResponseAsync),
        ["CourseService/UpdateCourse"] = async w =>
        {
            var course = await w.CourseAsync();
            return i => Courses(i).UpdateCourseAsync(new UpdateCourseRequest { CourseId = course.Id, Title = "人力资源管理" }).ResponseAsync;
        },
        ["CourseService/AddChapter"] = async w =>
        {
            var course = await w.CourseAsync();
            return i => Courses(i).AddChapterAsync(new AddChapterRequest { CourseId = course.Id, Title = "第21章" }).ResponseAsync;
        },
        ["CourseService/RenameChapter"] = async w =>
        {
            var course = await w.CourseAsync();
            return i => Courses(i).RenameChapterAsync(new RenameChapterRequest
            {
                CourseId = course.Id, ChapterId = course.Chapters[1].Id, Title = "第20章 复习",
            }).ResponseAsync;
        },
        ["CourseService/RemoveChapter"] = async w =>
        {
            var course = await w.CourseAsync();
            return i => Courses(i).RemoveChapterAsync(new RemoveChapterRequest { CourseId = course.Id, ChapterId = course.Chapters[1].Id }).ResponseAsync;
        },
        ["CourseService/ReorderChapters"] = async w =>
        {
            var course = await w.CourseAsync();
            return i => Courses(i).ReorderChaptersAsync(new ReorderChaptersRequest
            {
                CourseId = course.Id, ChapterIds = { course.Chapters[1].Id, course.Chapters[0].Id },
            }).ResponseAsync;
        },
        ["SessionService/CreateSession"] = async w =>
        {
            var course = await w.CourseAsync();
            return i => Sessions(i).CreateSessionAsync(new CreateSessionRequest
            {
                Title = "经济基础第20章考点梳理",
                InstructorId = w.Owner.Id,
                CourseId = course.Id,
                ChapterId = course.Chapters[1].Id,
                PlannedStart = w.At(TimeSpan.FromDays(3)),
                DurationMinutes = 90,
            }).ResponseAsync;
        },
        ["SessionService/GetSession"] = async w =>
        {
            var session = await w.ScheduledAsync();
            return i => Sessions(i).GetSessionAsync(new GetSessionRequest { SessionId = session.Id }).ResponseAsync;
        },
        ["SessionService/ListSessions"] = w => Ready(i => Sessions(i).ListSessionsAsync(new ListSessionsRequest { InstructorId = w.Owner.Id }).ResponseAsync),
        ["SessionService/UpdateSession"] = async w =>
        {
            var session = await w.ScheduledAsync();
            return i => Sessions(i).UpdateSessionAsync(new UpdateSessionRequest
            {
                SessionId = session.Id, Title = "改期", PlannedStart = w.At(TimeSpan.FromDays(1)),
            }).ResponseAsync;
        },
        ["SessionService/CancelSession"] = async w =>
        {
            var session = await w.ScheduledAsync();
            return i => Sessions(i).CancelSessionAsync(new CancelSessionRequest { SessionId = session.Id, Reason = "讲师临时有事" }).ResponseAsync;
        },
        ["SessionService/GoLive"] = async w =>
        {
            var session = await w.ScheduledAsync();
            return i => Sessions(i).GoLiveAsync(new GoLiveRequest { SessionId = session.Id }).ResponseAsync;
        },
        ["SessionService/EndSession"] = async w =>
        {
            var session = await w.LiveAsync();
            return i => Sessions(i).EndSessionAsync(new EndSessionRequest { SessionId = session.Id }).ResponseAsync;
        },
        ["SessionService/ExtendSession"] = async w =>
        {
            var session = await w.LiveAsync();
            return i => Sessions(i).ExtendSessionAsync(new ExtendSessionRequest { SessionId = session.Id, Minutes = 5 }).ResponseAsync;
        },
        ["SessionService/GetStreamKey"] = async w =>
        {
            var session = await w.ScheduledAsync();
            return i => Sessions(i).GetStreamKeyAsync(new GetStreamKeyRequest { SessionId = session.Id }).ResponseAsync;
        },
        ["SessionService/RotateStreamKey"] = async w =>
        {
            var session = await w.ScheduledAsync();
            return i => Sessions(i).RotateStreamKeyAsync(new RotateStreamKeyRequest { SessionId = session.Id }).ResponseAsync;
        },
        ["SessionService/ReserveSession"] = async w =>
        {
            var session = await w.ScheduledAsync();
            return i => Sessions(i).ReserveSessionAsync(new ReserveSessionRequest { SessionId = session.Id }).ResponseAsync;
        },
        ["SessionService/CancelReservation"] = async w =>
        {
            var session = await w.ScheduledAsync();
            return i => Sessions(i).CancelReservationAsync(new CancelReservationRequest { SessionId = session.Id }).ResponseAsync;
        },
        ["SessionService/ListMyReservations"] = w => Ready(i => Sessions(i).ListMyReservationsAsync(new ListMyReservationsRequest()).ResponseAsync),
        ["SessionService/ListRecommendations"] = w => Ready(i => Sessions(i).ListRecommendationsAsync(new ListRecommendationsRequest()).ResponseAsync),
        ["SessionService/PlanCourseSeries"] = async w =>
        {
            var course = await w.CourseAsync();
            var startDate = w.Host.App.Clock.GetUtcNow().AddDays(30).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            return i => Sessions(i).PlanCourseSeriesAsync(new PlanCourseSeriesRequest
            {
                CourseId = course.Id, Weekdays = { 1, 3 }, LocalTime = "19:30", StartDate = startDate, DurationMinutes = 90, TitleSuffix = "考点梳理",
            }).ResponseAsync;
        },
        ["NotificationService/ListNotifications"] = w => Ready(i => new NotificationService.NotificationServiceClient(i).ListNotificationsAsync(new ListNotificationsRequest()).ResponseAsync),
        ["NotificationService/MarkNotificationsRead"] = w => Ready(i => new NotificationService.NotificationServiceClient(i).MarkNotificationsReadAsync(new MarkNotificationsReadRequest()).ResponseAsync),
        ["IdentityService/GetMe"] = w => Ready(i => new IdentityService.IdentityServiceClient(i).GetMeAsync(new GetMeRequest()).ResponseAsync),
        ["IdentityService/UpdateMyTimeZone"] = w => Ready(i => new IdentityService.IdentityServiceClient(i).UpdateMyTimeZoneAsync(new UpdateMyTimeZoneRequest { TimeZone = "Europe/Berlin" }).ResponseAsync),
        ["PresenceService/WatchSession"] = async w =>
        {
            var session = await w.LiveAsync();
            return async i =>
            {
                // Allowed means the snapshot arrives; the stream is then closed by the caller.
                using var cancel = new CancellationTokenSource();
                using var call = new PresenceService.PresenceServiceClient(i).WatchSession(new WatchSessionRequest { SessionId = session.Id }, cancellationToken: cancel.Token);
                if (!await call.ResponseStream.MoveNext(CancellationToken.None) || call.ResponseStream.Current.Kind != WatchSessionUpdate.Types.Kind.Snapshot)
                {
                    throw new InvalidOperationException("no snapshot");
                }
                await cancel.CancelAsync();
            };
        },
        ["PresenceService/GetSessionStats"] = async w =>
        {
            var session = await w.LiveAsync();
            return i => new PresenceService.PresenceServiceClient(i).GetSessionStatsAsync(new GetSessionStatsRequest { SessionId = session.Id }).ResponseAsync;
        },
        ["DiagnosticsService/Ping"] = w => Ready(i => new DiagnosticsService.DiagnosticsServiceClient(i).PingAsync(new PingRequest()).ResponseAsync),
        ["IdentityService/UpdateMyLanguage"] = w => Ready(i => new IdentityService.IdentityServiceClient(i).UpdateMyLanguageAsync(new UpdateMyLanguageRequest { Language = "en" }).ResponseAsync),
        ["IdentityService/GetMyCalendarFeedKey"] = w => Ready(i => new IdentityService.IdentityServiceClient(i).GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest()).ResponseAsync),
        ["AdminService/ListUsers"] = w => Ready(i => new AdminService.AdminServiceClient(i).ListUsersAsync(new ListUsersRequest()).ResponseAsync),
        ["AdminService/SetUserRoles"] = w => Ready(i => new AdminService.AdminServiceClient(i).SetUserRolesAsync(new SetUserRolesRequest { UserId = w.Owner.Id, Roles = { "instructor" } }).ResponseAsync),
        // Reactivating an active user: allowed for admins, and leaves the owner able to act in the rows after.
        ["AdminService/SetUserActive"] = w => Ready(i => new AdminService.AdminServiceClient(i).SetUserActiveAsync(new SetUserActiveRequest { UserId = w.Owner.Id, Active = true }).ResponseAsync),
        ["AdminService/SetCertified"] = w => Ready(i => new AdminService.AdminServiceClient(i).SetCertifiedAsync(new SetCertifiedRequest { UserId = w.Owner.Id, Certified = true }).ResponseAsync),
        ["AdminService/GetPlatformSettings"] = w => Ready(i => new AdminService.AdminServiceClient(i).GetPlatformSettingsAsync(new GetPlatformSettingsRequest()).ResponseAsync),
        ["AdminService/UpdatePlatformSettings"] = w => Ready(i => new AdminService.AdminServiceClient(i).UpdatePlatformSettingsAsync(new UpdatePlatformSettingsRequest { ReminderLeadMinutes = 15 }).ResponseAsync),
        ["FollowService/Follow"] = w => Ready(i => Follows(i).FollowAsync(new FollowRequest { CreatorId = w.Owner.Id }).ResponseAsync),
        ["FollowService/Unfollow"] = w => Ready(i => Follows(i).UnfollowAsync(new UnfollowRequest { CreatorId = w.Owner.Id }).ResponseAsync),
        ["FollowService/GetFollowCounts"] = w => Ready(i => Follows(i).GetFollowCountsAsync(new GetFollowCountsRequest { UserId = w.Owner.Id }).ResponseAsync),
        ["FollowService/ListFollowing"] = w => Ready(i => Follows(i).ListFollowingAsync(new ListFollowingRequest()).ResponseAsync),
        ["FollowService/SetCreatorPreference"] = w => Ready(i => Follows(i).SetCreatorPreferenceAsync(new SetCreatorPreferenceRequest { CreatorId = w.Owner.Id, Muted = true }).ResponseAsync),
        ["FollowService/SearchCreators"] = w => Ready(i => Follows(i).SearchCreatorsAsync(new SearchCreatorsRequest { Query = "coco" }).ResponseAsync),
        ["BroadcastService/GetQuota"] = w => Ready(i => Broadcasts(i).GetQuotaAsync(new GetQuotaRequest()).ResponseAsync),
        ["BroadcastService/SubmitBroadcast"] = async w =>
        {
            await w.CertifiedOwnerAsync();
            return i => Broadcasts(i).SubmitBroadcastAsync(MatrixWorld.TextBroadcast("matrix-submit")).ResponseAsync;
        },
        ["BroadcastService/WithdrawBroadcast"] = async w =>
        {
            var pending = await w.PendingAsync();
            return i => Broadcasts(i).WithdrawBroadcastAsync(new WithdrawBroadcastRequest { BroadcastId = pending.Id }).ResponseAsync;
        },
        ["BroadcastService/ListMyBroadcasts"] = w => Ready(i => Broadcasts(i).ListMyBroadcastsAsync(new ListMyBroadcastsRequest()).ResponseAsync),
        ["BroadcastService/GetBroadcastImage"] = async w =>
        {
            var image = await w.PendingImageAsync();
            return i => Broadcasts(i).GetBroadcastImageAsync(new GetBroadcastImageRequest { BroadcastId = image.Id }).ResponseAsync;
        },
        ["BroadcastService/ListReviewQueue"] = w => Ready(i => Broadcasts(i).ListReviewQueueAsync(new ListReviewQueueRequest()).ResponseAsync),
        ["BroadcastService/ApproveBroadcast"] = async w =>
        {
            var pending = await w.PendingAsync();
            return i => Broadcasts(i).ApproveBroadcastAsync(new ApproveBroadcastRequest { BroadcastId = pending.Id }).ResponseAsync;
        },
        ["BroadcastService/RejectBroadcast"] = async w =>
        {
            var pending = await w.PendingAsync();
            return i => Broadcasts(i).RejectBroadcastAsync(new RejectBroadcastRequest { BroadcastId = pending.Id, Reason = "含广告信息" }).ResponseAsync;
        },
        ["BroadcastService/ListReports"] = w => Ready(i => Broadcasts(i).ListReportsAsync(new ListReportsRequest()).ResponseAsync),
        ["BroadcastService/TakeDownBroadcast"] = async w =>
        {
            var approved = await w.ApprovedAsync();
            return i => Broadcasts(i).TakeDownBroadcastAsync(new TakeDownBroadcastRequest { BroadcastId = approved.Id, Reason = "违规广告" }).ResponseAsync;
        },
        ["BroadcastService/DismissReport"] = async w =>
        {
            var report = await w.ReportAsync();
            return i => Broadcasts(i).DismissReportAsync(new DismissReportRequest { ReportId = report.Id }).ResponseAsync;
        },
        ["InboxService/CheckIn"] = async w =>
        {
            await w.ApprovedAsync();
            return i => Inbox(i).CheckInAsync(new CheckInRequest()).ResponseAsync;
        },
        ["InboxService/ListInbox"] = w => Ready(i => Inbox(i).ListInboxAsync(new ListInboxRequest()).ResponseAsync),
        ["InboxService/GetInboxSummary"] = w => Ready(i => Inbox(i).GetInboxSummaryAsync(new GetInboxSummaryRequest()).ResponseAsync),
        ["InboxService/MarkInboxRead"] = async w =>
        {
            await w.ApprovedAsync();
            return i => Inbox(i).MarkInboxReadAsync(new MarkInboxReadRequest { All = true }).ResponseAsync;
        },
        ["InboxService/DeleteInboxMessage"] = async w =>
        {
            var approved = await w.ApprovedAsync();
            return i => Inbox(i).DeleteInboxMessageAsync(new DeleteInboxMessageRequest { MessageId = approved.Id }).ResponseAsync;
        },
        ["InboxService/ReportBroadcast"] = async w =>
        {
            var approved = await w.ApprovedAsync();
            return i => Inbox(i).ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = approved.Id, Reason = "广告" }).ResponseAsync;
        },
        ["InboxService/WatchInbox"] = w => Ready(async i =>
        {
            // Allowed means the first summary arrives; the stream is then closed by the caller.
            using var cancel = new CancellationTokenSource();
            using var call = Inbox(i).WatchInbox(new WatchInboxRequest(), cancellationToken: cancel.Token);
            if (!await call.ResponseStream.MoveNext(CancellationToken.None) || call.ResponseStream.Current.Summary is null)
            {
                throw new InvalidOperationException("no summary");
            }
            await cancel.CancelAsync();
        }),
    };

    public static TheoryData<string, CallerRole, StatusCode> Matrix
    {
        get
        {
            var data = new TheoryData<string, CallerRole, StatusCode>();
            foreach (var row in Table)
            {
                foreach (var role in System.Enum.GetValues<CallerRole>())
                {
                    data.Add(row.Rpc, role, row.Expected(role));
                }
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Each_rpc_answers_each_role_as_the_table_says(string rpc, CallerRole role, StatusCode expected)
    {
        var world = await host.NewWorldAsync();
        var call = await Calls[rpc](world);
        var before = await world.SnapshotAsync();

        var refusal = await RefusalOf(() => call(world.InvokerFor(role)));

        Assert.Equal(expected, refusal?.StatusCode ?? OK);
        if (refusal is not null)
        {
            Assert.Equal(before, await world.SnapshotAsync());
        }
        if (refusal?.StatusCode == PermissionDenied)
        {
            // The refusal names the field at fault, as every refusal of the API does.
            var status = refusal.GetRpcStatus();
            Assert.NotEmpty(status?.GetDetail<BadRequest>()?.FieldViolations ?? []);
            Assert.Equal("NOT_OWNER_OR_ROLE", status?.GetDetail<ErrorInfo>()?.Reason);
        }
    }

    [Fact]
    public void The_table_lists_every_rpc_of_every_service_once()
    {
        // Every service of every LearnHub proto file, found from the generated code so a new one cannot be forgotten.
        var services = typeof(SessionService).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(SessionService).Namespace && t.Name.EndsWith("Reflection", StringComparison.Ordinal))
            .Select(t => (FileDescriptor)t.GetProperty("Descriptor")!.GetValue(null)!)
            .SelectMany(f => f.Services)
            .ToList();
        Assert.Contains(services, s => s.Name == "PresenceService");
        var every = services.SelectMany(s => s.Methods.Select(m => $"{s.Name}/{m.Name}")).Order(StringComparer.Ordinal);
        Assert.Equal(every, Table.Select(r => r.Rpc).Order(StringComparer.Ordinal));
        Assert.Equal(every, Calls.Keys.Order(StringComparer.Ordinal));
    }

    /// <summary>Who a create acts for (<c>Caller.ActingInstructorId</c>): the instructor themselves, or whoever an admin names.</summary>
    public enum Acting
    {
        InstructorNamesNobody,
        InstructorNamesSelf,
        InstructorNamesAnotherInstructor,
        AdminNamesInstructor,
        AdminNamesNobody,
        AdminWhoTeachesNamesNobody,
        AdminNamesViewer,
        AdminNamesUnknownUser,
    }

    public static TheoryData<string, Acting, StatusCode> ActingFor => new()
    {
        { "CourseService/CreateCourse", Acting.InstructorNamesNobody, OK },
        { "CourseService/CreateCourse", Acting.InstructorNamesSelf, OK },
        { "CourseService/CreateCourse", Acting.InstructorNamesAnotherInstructor, PermissionDenied },
        { "CourseService/CreateCourse", Acting.AdminNamesInstructor, OK },
        { "CourseService/CreateCourse", Acting.AdminNamesNobody, InvalidArgument },
        { "CourseService/CreateCourse", Acting.AdminWhoTeachesNamesNobody, InvalidArgument },
        { "CourseService/CreateCourse", Acting.AdminNamesViewer, InvalidArgument },
        { "CourseService/CreateCourse", Acting.AdminNamesUnknownUser, NotFound },
        { "SessionService/CreateSession", Acting.InstructorNamesNobody, OK },
        { "SessionService/CreateSession", Acting.InstructorNamesSelf, OK },
        { "SessionService/CreateSession", Acting.InstructorNamesAnotherInstructor, PermissionDenied },
        { "SessionService/CreateSession", Acting.AdminNamesInstructor, OK },
        { "SessionService/CreateSession", Acting.AdminNamesNobody, InvalidArgument },
        { "SessionService/CreateSession", Acting.AdminWhoTeachesNamesNobody, InvalidArgument },
        { "SessionService/CreateSession", Acting.AdminNamesViewer, InvalidArgument },
        { "SessionService/CreateSession", Acting.AdminNamesUnknownUser, NotFound },
    };

    [Theory]
    [MemberData(nameof(ActingFor))]
    public async Task A_create_acts_for_the_instructor_or_for_whom_an_admin_names(string rpc, Acting acting, StatusCode expected)
    {
        var world = await host.NewWorldAsync();
        var (caller, named, actsFor) = acting switch
        {
            Acting.InstructorNamesNobody => (world.Owner, "", world.Owner.Id),
            Acting.InstructorNamesSelf => (world.Owner, world.Owner.Id, world.Owner.Id),
            Acting.InstructorNamesAnotherInstructor => (host.OtherInstructor, world.Owner.Id, world.Owner.Id),
            Acting.AdminNamesInstructor => (host.Admin, world.Owner.Id, world.Owner.Id),
            Acting.AdminNamesNobody => (host.Admin, "", world.Owner.Id),
            Acting.AdminWhoTeachesNamesNobody => (host.TeachingAdmin, "", host.TeachingAdmin.Id),
            Acting.AdminNamesViewer => (host.Admin, host.Viewer.Id, host.Viewer.Id),
            Acting.AdminNamesUnknownUser => (host.Admin, "u_nobody", "u_nobody"),
            _ => throw new ArgumentOutOfRangeException(nameof(acting)),
        };
        var start = world.At(TimeSpan.FromDays(2));
        async Task<string> Create() => rpc switch
        {
            "CourseService/CreateCourse" => (await caller.Courses.CreateCourseAsync(
                new CreateCourseRequest { Title = "经济基础", InstructorId = named })).InstructorId,
            "SessionService/CreateSession" => (await caller.Sessions.CreateSessionAsync(
                new CreateSessionRequest { Title = "经济基础第19章考点梳理", InstructorId = named, PlannedStart = start, DurationMinutes = 60 })).InstructorId,
            _ => throw new ArgumentOutOfRangeException(nameof(rpc)),
        };
        var before = await host.WrittenForAsync(actsFor);

        var instructorId = "";
        var actual = await StatusOf(async () => instructorId = await Create());

        Assert.Equal(expected, actual);
        if (actual == OK)
        {
            Assert.Equal(actsFor, instructorId);
        }
        else
        {
            Assert.Equal(before, await host.WrittenForAsync(actsFor));
        }
    }

    [Fact]
    public async Task An_admin_may_not_schedule_an_instructor_on_another_instructors_course()
    {
        var world = await host.NewWorldAsync();
        var course = await world.CourseAsync();
        var before = await world.SnapshotAsync();

        var actual = await StatusOf(() => host.Admin.Sessions.CreateSessionAsync(new CreateSessionRequest
        {
            Title = "经济基础第19章考点梳理", InstructorId = host.OtherInstructor.Id, CourseId = course.Id,
            PlannedStart = world.At(TimeSpan.FromDays(2)), DurationMinutes = 60,
        }).ResponseAsync);

        Assert.Equal(PermissionDenied, actual);
        Assert.Equal(before, await world.SnapshotAsync());
    }

    [Fact]
    public async Task Health_and_reflection_answer_without_a_token()
    {
        var anonymous = host.App.Invoker(null);

        var health = await new Health.HealthClient(anonymous).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);

        foreach (var listed in new[] { await ListServicesV1(anonymous), await ListServicesV1Alpha(anonymous) })
        {
            Assert.Contains("learnhub.v1.SessionService", listed);
            Assert.Contains("learnhub.v1.CourseService", listed);
            Assert.Contains("grpc.health.v1.Health", listed);
        }
    }

    private static async Task<List<string>> ListServicesV1(CallInvoker invoker)
    {
        using var call = new ReflectionV1.ServerReflection.ServerReflectionClient(invoker).ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ReflectionV1.ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        return call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
    }

    private static async Task<List<string>> ListServicesV1Alpha(CallInvoker invoker)
    {
        using var call = new ReflectionV1Alpha.ServerReflection.ServerReflectionClient(invoker).ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ReflectionV1Alpha.ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        return call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
    }

    private static async Task<StatusCode> StatusOf(Func<Task> call) => (await RefusalOf(call))?.StatusCode ?? OK;

    private static async Task<RpcException?> RefusalOf(Func<Task> call)
    {
        try
        {
            await call();
            return null;
        }
        catch (RpcException e)
        {
            return e;
        }
    }

    private static Task<Func<CallInvoker, Task>> Ready(Func<CallInvoker, Task> call) => Task.FromResult(call);

    private static CourseService.CourseServiceClient Courses(CallInvoker invoker) => new(invoker);

    private static SessionService.SessionServiceClient Sessions(CallInvoker invoker) => new(invoker);

    private static FollowService.FollowServiceClient Follows(CallInvoker invoker) => new(invoker);

    private static BroadcastService.BroadcastServiceClient Broadcasts(CallInvoker invoker) => new(invoker);

    private static InboxService.InboxServiceClient Inbox(CallInvoker invoker) => new(invoker);

    private sealed record MatrixRow(string Rpc, StatusCode Anonymous, StatusCode Viewer, StatusCode Owner, StatusCode Other, StatusCode Reviewer, StatusCode Admin)
    {
        public StatusCode Expected(CallerRole role) => role switch
        {
            CallerRole.Anonymous => Anonymous,
            CallerRole.Viewer => Viewer,
            CallerRole.OwnerInstructor => Owner,
            CallerRole.OtherInstructor => Other,
            CallerRole.Reviewer => Reviewer,
            CallerRole.Admin => Admin,
            _ => throw new ArgumentOutOfRangeException(nameof(role)),
        };
    }
}

/// <summary>One host for the matrix, with the callers every row shares; each row's owner and resources are its own.</summary>
public sealed class MatrixHost : IAsyncLifetime
{
    private int worlds;

    public LearnHubApp App { get; private set; } = null!;

    public TestUser Viewer { get; private set; } = null!;

    public TestUser OtherInstructor { get; private set; } = null!;

    public TestUser Reviewer { get; private set; } = null!;

    public TestUser Admin { get; private set; } = null!;

    /// <summary>An admin who also teaches: still has to name the instructor a create is for.</summary>
    public TestUser TeachingAdmin { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        // With RTMP ingest, so that the stream-key rows reach their access check (without it they are FAILED_PRECONDITION).
        App = await LearnHubApp.StartAsync(new Dictionary<string, string?>
        {
            ["Ingest:RtmpUrl"] = "rtmp://127.0.0.1/live",
            ["Ingest:CallbackSecret"] = "matrix-callback-secret",
        });
        Viewer = await App.CreateUserAsync("viewer");
        OtherInstructor = await App.CreateUserAsync("other-instructor", "instructor");
        Reviewer = await App.CreateUserAsync("reviewer", "reviewer");
        Admin = await App.CreateUserAsync("admin", "admin");
        TeachingAdmin = await App.CreateUserAsync("teaching-admin", "admin", "instructor");
    }

    public async ValueTask DisposeAsync() => await App.DisposeAsync();

    public async Task<MatrixWorld> NewWorldAsync()
    {
        var owner = await App.CreateUserAsync($"owner-{Interlocked.Increment(ref worlds)}", "instructor");
        return new MatrixWorld(this, owner);
    }

    /// <summary>Everything a create acting for <paramref name="userId"/> could have written, as the admin reads it.</summary>
    public async Task<string> WrittenForAsync(string userId)
    {
        var courses = await Admin.Courses.ListCoursesAsync(new ListCoursesRequest { InstructorId = userId, PageSize = 100 });
        var sessions = await Admin.Sessions.ListSessionsAsync(new ListSessionsRequest { InstructorId = userId, PageSize = 100 });
        return JsonFormatter.Default.Format(courses) + JsonFormatter.Default.Format(sessions);
    }
}

/// <summary>A row's owning instructor and the resources of theirs the call targets, created on first use.</summary>
public sealed class MatrixWorld(MatrixHost host, TestUser owner)
{
    private Course? course;
    private Session? scheduled;
    private Session? live;

    public MatrixHost Host => host;

    public TestUser Owner => owner;

    public Timestamp At(TimeSpan fromNow) => Timestamp.FromDateTimeOffset(host.App.Clock.GetUtcNow() + fromNow);

    public CallInvoker InvokerFor(CallerRole role) => role switch
    {
        CallerRole.Anonymous => host.App.Invoker(null),
        CallerRole.Viewer => host.App.Invoker(host.Viewer.Token),
        CallerRole.OwnerInstructor => host.App.Invoker(owner.Token),
        CallerRole.OtherInstructor => host.App.Invoker(host.OtherInstructor.Token),
        CallerRole.Reviewer => host.App.Invoker(host.Reviewer.Token),
        CallerRole.Admin => host.App.Invoker(host.Admin.Token),
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    /// <summary>经济基础 with 第19章 (which the scheduled session uses) and 第20章 (which nothing uses, so it may be removed).</summary>
    public async Task<Course> CourseAsync() => course ??= await owner.Courses.CreateCourseAsync(new CreateCourseRequest
    {
        Title = "经济基础", ChapterTitles = { "第19章", "第20章" },
    });

    /// <summary>Scheduled 15 minutes ahead: close enough to go live early, and clear of the live session.</summary>
    public async Task<Session> ScheduledAsync()
    {
        var c = await CourseAsync();
        return scheduled ??= await owner.Sessions.CreateSessionAsync(new CreateSessionRequest
        {
            Title = "经济基础第19章考点梳理", CourseId = c.Id, ChapterId = c.Chapters[0].Id, PlannedStart = At(TimeSpan.FromMinutes(15)), DurationMinutes = 30,
        });
    }

    /// <summary>Planned 5 minutes ahead for 5 minutes and taken live early by its owner.</summary>
    public async Task<Session> LiveAsync()
    {
        if (live is null)
        {
            var session = await owner.Sessions.CreateSessionAsync(new CreateSessionRequest
            {
                Title = "经济基础阶段测试2试题讲解", PlannedStart = At(TimeSpan.FromMinutes(5)), DurationMinutes = 5,
            });
            live = await owner.Sessions.GoLiveAsync(new GoLiveRequest { SessionId = session.Id });
        }
        return live;
    }

    /// <summary>
    /// What a refused call must not change: the owner's courses and sessions as the admin reads them; their
    /// broadcasts (群发记录 with reach and the week's quota) and follower counts as they read them; the reports on
    /// their broadcasts as the admin reads them.
    /// </summary>
    public async Task<string> SnapshotAsync()
    {
        var broadcasts = await owner.Broadcasts.ListMyBroadcastsAsync(new ListMyBroadcastsRequest { PageSize = 100 });
        var counts = await owner.Follows.GetFollowCountsAsync(new GetFollowCountsRequest());
        var ids = broadcasts.Broadcasts.Select(b => b.Id).ToHashSet();
        var reports = (await host.Admin.Broadcasts.ListReportsAsync(new ListReportsRequest { IncludeClosed = true, PageSize = 100 })).Reports
            .Where(r => ids.Contains(r.BroadcastId));
        return await host.WrittenForAsync(owner.Id) + JsonFormatter.Default.Format(broadcasts) + JsonFormatter.Default.Format(counts)
            + string.Join(",", reports.Select(r => JsonFormatter.Default.Format(r)));
    }

    private bool certified;
    private Broadcast? pending;
    private Broadcast? pendingImage;
    private Broadcast? approved;
    private Report? report;

    public static SubmitBroadcastRequest TextBroadcast(string requestId) => new()
    {
        RequestId = requestId, Kind = BroadcastKind.Text, Text = "今晚八点直播经济基础第19章", AgreedToAgreement = true, AgreementVersion = "2024-01",
    };

    /// <summary>The owner certified (认证) by the admin: the only certified creator of the row.</summary>
    public async Task CertifiedOwnerAsync()
    {
        if (!certified)
        {
            await host.Admin.Admin.SetCertifiedAsync(new SetCertifiedRequest { UserId = owner.Id, Certified = true });
            certified = true;
        }
    }

    /// <summary>A text broadcast of the owner's, pending review.</summary>
    public async Task<Broadcast> PendingAsync()
    {
        await CertifiedOwnerAsync();
        return pending ??= await owner.Broadcasts.SubmitBroadcastAsync(TextBroadcast("matrix-pending"));
    }

    /// <summary>An image broadcast of the owner's (a real 8×8 PNG), pending review.</summary>
    public async Task<Broadcast> PendingImageAsync()
    {
        await CertifiedOwnerAsync();
        return pendingImage ??= await owner.Broadcasts.SubmitBroadcastAsync(new SubmitBroadcastRequest
        {
            RequestId = "matrix-image", Kind = BroadcastKind.Image, Image = ByteString.CopyFrom(Broadcasts.TestImages.Png(8, 8)),
            AgreedToAgreement = true, AgreementVersion = "2024-01",
        });
    }

    /// <summary>A broadcast of the owner's, approved by the reviewer and received by every other signed-in role.</summary>
    public async Task<Broadcast> ApprovedAsync()
    {
        if (approved is null)
        {
            await CertifiedOwnerAsync();
            var submitted = await owner.Broadcasts.SubmitBroadcastAsync(TextBroadcast("matrix-approved"));
            approved = await host.Reviewer.Broadcasts.ApproveBroadcastAsync(new ApproveBroadcastRequest { BroadcastId = submitted.Id });
            foreach (var follower in new[] { host.Viewer, host.OtherInstructor, host.Reviewer, host.Admin })
            {
                await follower.Follows.FollowAsync(new FollowRequest { CreatorId = owner.Id });
                await follower.Inbox.CheckInAsync(new CheckInRequest());
            }
        }
        return approved;
    }

    /// <summary>An open report of the approved broadcast, by the viewer.</summary>
    public async Task<Report> ReportAsync()
    {
        var broadcast = await ApprovedAsync();
        return report ??= await host.Viewer.Inbox.ReportBroadcastAsync(new ReportBroadcastRequest { MessageId = broadcast.Id, Reason = "广告" });
    }
}
