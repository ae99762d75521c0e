using Microsoft.Extensions.DependencyInjection;
using LearnHub.Admin.Components.Pages.Schedule;
using LearnHub.Admin.Components.Pages.Sessions;
using LearnHub.Admin.Tests.Infrastructure;
using LearnHub.Api.V1;

namespace LearnHub.Admin.Tests.Schedule;

public sealed class SessionDialogTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Dialog_shows_the_servers_field_errors_at_their_fields()
    {
        await using var context = ScheduleFakes.Context();
        EmptySchedule(context);
        context.Api.On<CreateSessionRequest, Session>("CreateSession", _ => throw ScheduleFakes.Invalid(
            ("title", "标题须为 1–100 个字符 (title must be 1 to 100 characters)."),
            ("duration_minutes", "时长须在 5–720 分钟之间 (duration must be 5 to 720 minutes).")));
        var cut = context.RenderWithProviders<MySchedule>();

        OpenNewDialog(cut);
        ScheduleUi.Enter(cut, "session-duration", "3");
        ScheduleUi.Click(cut, "session-save");

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("标题须为 1–100 个字符", ScheduleUi.FieldText(cut, "session-title"), StringComparison.Ordinal);
            Assert.Contains("5–720", ScheduleUi.FieldText(cut, "session-duration"), StringComparison.Ordinal);
            Assert.DoesNotContain("标题须为", ScheduleUi.FieldText(cut, "session-duration"), StringComparison.Ordinal);
        }, Timeout);
        var request = Assert.Single(context.Api.RequestsTo<CreateSessionRequest>("CreateSession"));
        Assert.Equal(3, request.DurationMinutes);
        Assert.Equal(ScheduleFakes.Me, request.InstructorId);
        Assert.Equal("Asia/Shanghai", request.TimeZone);
    }

    [Fact]
    public async Task A_conflict_names_the_other_session_with_a_link_and_a_retry_reuses_the_request_id()
    {
        await using var context = ScheduleFakes.Context();
        EmptySchedule(context);
        var attempts = 0;
        var created = new List<Session>();
        context.Api.On<CreateSessionRequest, Session>("CreateSession", r =>
        {
            if (++attempts == 1)
            {
                throw ScheduleFakes.Conflict("planned_start", "s_other", "经济基础第19章考点梳理");
            }
            created.Add(ScheduleFakes.Session("s_new", r.Title, r.PlannedStart.ToDateTimeOffset(), r.DurationMinutes));
            return created[0];
        });
        context.Api.On<ListSessionsRequest, ListSessionsResponse>("ListSessions", r => new ListSessionsResponse
        {
            Sessions = { created.Where(s => s.PlannedStart.ToDateTimeOffset() >= r.StartFrom.ToDateTimeOffset() && s.PlannedStart.ToDateTimeOffset() < r.StartBefore.ToDateTimeOffset()) },
        });
        var cut = context.RenderWithProviders<MySchedule>();

        OpenNewDialog(cut);
        ScheduleUi.Enter(cut, "session-title", "经济基础第20章考点梳理");
        ScheduleUi.Enter(cut, "session-date", "2026-05-04");
        ScheduleUi.Enter(cut, "session-time", "19:30");
        ScheduleUi.Enter(cut, "session-duration", "90");
        ScheduleUi.Click(cut, "session-save");

        cut.WaitForAssertion(() =>
        {
            var link = cut.Find("a[data-testid=session-conflict-link]");
            Assert.Contains("经济基础第19章考点梳理", link.TextContent, StringComparison.Ordinal);
            Assert.EndsWith("sessions/s_other", link.GetAttribute("href"), StringComparison.Ordinal);
            Assert.Contains("时间冲突", ScheduleUi.FieldText(cut, "session-date"), StringComparison.Ordinal);
        }, Timeout);
        var first = Assert.Single(context.Api.RequestsTo<CreateSessionRequest>("CreateSession"));
        // 19:30 on 2026-05-04 in Asia/Shanghai (the user's zone) is 11:30 UTC.
        Assert.Equal(new DateTimeOffset(2026, 5, 4, 11, 30, 0, TimeSpan.Zero), first.PlannedStart.ToDateTimeOffset());
        Assert.Equal(90, first.DurationMinutes);

        ScheduleUi.Click(cut, "session-save");

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=session-save]")), Timeout);
        var requests = context.Api.RequestsTo<CreateSessionRequest>("CreateSession").ToList();
        Assert.Equal(2, requests.Count);
        Assert.NotEmpty(requests[0].RequestId);
        Assert.Equal(requests[0].RequestId, requests[1].RequestId);
        // The calendar moved to the new session's week and shows it on its day.
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=calendar-day-2026-05-04] [data-testid=session-chip-s_new]")), Timeout);
        // From the day before the week (Sunday 05-03 in Shanghai), so a session running over midnight into Monday is found too.
        Assert.Equal(new DateTimeOffset(2026, 5, 2, 16, 0, 0, TimeSpan.Zero), context.Api.RequestsTo<ListSessionsRequest>("ListSessions").Last().StartFrom.ToDateTimeOffset());
    }

    [Fact]
    public async Task Save_is_disabled_while_saving_so_a_double_click_creates_one_session()
    {
        await using var context = ScheduleFakes.Context();
        EmptySchedule(context);
        var gate = context.HoldCalls("CreateSession");
        context.Api.On<CreateSessionRequest, Session>("CreateSession", r => ScheduleFakes.Session("s_new", r.Title, r.PlannedStart.ToDateTimeOffset()));
        var cut = context.RenderWithProviders<MySchedule>();

        OpenNewDialog(cut);
        ScheduleUi.Enter(cut, "session-title", "经济基础第21章考点梳理");
        ScheduleUi.Click(cut, "session-save");
        cut.WaitForAssertion(() =>
        {
            Assert.True(cut.Find("button[data-testid=session-save]").HasAttribute("disabled"));
            Assert.NotEmpty(cut.FindAll("[data-testid=session-saving]"));
        }, Timeout);
        ScheduleUi.Click(cut, "session-save");
        gate.SetResult();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=session-save]")), Timeout);
        var request = Assert.Single(context.Api.RequestsTo<CreateSessionRequest>("CreateSession"));
        Assert.Equal(32, request.RequestId.Length);
    }

    [Fact]
    public async Task A_stale_edit_tells_the_user_to_reload_and_the_reload_takes_the_current_version()
    {
        await using var context = ScheduleFakes.Context();
        var start = new DateTimeOffset(2026, 5, 4, 11, 30, 0, TimeSpan.Zero);
        var current = ScheduleFakes.Session("s1", "经济基础第19章考点梳理", start, version: 7);
        context.Api
            .On<GetSessionRequest, Session>("GetSession", _ => current)
            .On<ListCoursesRequest, ListCoursesResponse>("ListCourses", _ => new())
            .On<UpdateSessionRequest, Session>("UpdateSession", r => r.ExpectedVersion == current.Version
                ? current
                : throw ScheduleFakes.Stale(r.ExpectedVersion, current.Version));
        var cut = context.RenderWithProviders<SessionPage>(p => p.Add(x => x.SessionId, "s1"));
        cut.WaitForElement("[data-testid=edit]", Timeout);
        // Meanwhile another tab saved the session.
        current = ScheduleFakes.Session("s1", "另一个标签页改的标题", start, version: 8);

        ScheduleUi.Click(cut, "edit");
        cut.WaitForElement("[data-testid=session-save]", Timeout);
        ScheduleUi.Enter(cut, "session-title", "经济基础第19章考点梳理(改)");
        ScheduleUi.Click(cut, "session-save");

        cut.WaitForAssertion(() => Assert.Contains("已被他人修改，请刷新", cut.Find("[data-testid=session-stale]").TextContent, StringComparison.Ordinal), Timeout);
        var update = Assert.Single(context.Api.RequestsTo<UpdateSessionRequest>("UpdateSession"));
        Assert.Equal(7, update.ExpectedVersion);
        Assert.Equal("经济基础第19章考点梳理(改)", update.Title);
        // A title-only edit is not a reschedule: neither start nor duration is sent.
        Assert.Null(update.PlannedStart);
        Assert.False(update.HasDurationMinutes);

        ScheduleUi.Click(cut, "session-reload");
        cut.WaitForAssertion(() => Assert.Equal("另一个标签页改的标题", ScheduleUi.InputOf(cut, "session-title").GetAttribute("value")), Timeout);
        ScheduleUi.Click(cut, "session-save");
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=session-save]")), Timeout);
        Assert.Equal(8, context.Api.RequestsTo<UpdateSessionRequest>("UpdateSession").Last().ExpectedVersion);
    }

    [Fact]
    public async Task Esc_closes_an_untouched_dialog_but_asks_before_discarding_input()
    {
        await using var context = ScheduleFakes.Context();
        EmptySchedule(context);
        var cut = context.RenderWithProviders<MySchedule>();
        OpenNewDialog(cut);

        cut.Find("[data-testid=session-dialog-body]").KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Escape" });
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=session-save]")), Timeout);

        OpenNewDialog(cut);
        ScheduleUi.Enter(cut, "session-title", "经济基础第20章考点梳理");
        // Esc in the time-zone field only closes its suggestions.
        ScheduleUi.InputOf(cut, "session-timezone").KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Escape" });
        Assert.Empty(cut.FindAll("[data-testid=confirm-dialog]"));
        cut.Find("[data-testid=session-dialog-body]").KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Escape" });

        cut.WaitForAssertion(() => Assert.Contains("尚未保存", cut.Find("[data-testid=confirm-dialog]").TextContent, StringComparison.Ordinal), Timeout);
        ScheduleUi.Click(cut, "confirm-no");
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=confirm-dialog]")), Timeout);
        Assert.Equal("经济基础第20章考点梳理", ScheduleUi.InputOf(cut, "session-title").GetAttribute("value"));

        ScheduleUi.Click(cut, "session-dialog-close");
        cut.WaitForElement("[data-testid=confirm-dialog]", Timeout);
        ScheduleUi.Click(cut, "confirm-yes");
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=session-save]")), Timeout);
        Assert.Empty(context.Api.RequestsTo<CreateSessionRequest>("CreateSession"));
    }

    [Fact]
    public async Task A_field_error_goes_when_the_field_changes_and_no_toast_repeats_it()
    {
        await using var context = ScheduleFakes.Context();
        EmptySchedule(context);
        context.Api.On<CreateSessionRequest, Session>("CreateSession", _ => throw ScheduleFakes.Invalid(("title", "标题不能为空。")));
        var cut = context.RenderWithProviders<MySchedule>();
        OpenNewDialog(cut);

        ScheduleUi.Click(cut, "session-save");

        cut.WaitForAssertion(() => Assert.Contains("标题不能为空", ScheduleUi.FieldText(cut, "session-title"), StringComparison.Ordinal), Timeout);
        Assert.DoesNotContain(context.Services.GetRequiredService<MudBlazor.ISnackbar>().ShownSnackbars, t => t.Severity == MudBlazor.Severity.Error);
        Assert.Empty(cut.FindAll("[data-testid=session-error]"));
        ScheduleUi.Enter(cut, "session-title", "经济基础第20章考点梳理");
        cut.WaitForAssertion(() => Assert.DoesNotContain("标题不能为空", ScheduleUi.FieldText(cut, "session-title"), StringComparison.Ordinal), Timeout);
    }

    private static void EmptySchedule(AdminTestContext context) => context.Api
        .On<ListSessionsRequest, ListSessionsResponse>("ListSessions", r => new ListSessionsResponse())
        .On<ListCoursesRequest, ListCoursesResponse>("ListCourses", _ => new ListCoursesResponse());

    private static void OpenNewDialog(IRenderedComponent<ScheduleHost> cut)
    {
        cut.WaitForElement("[data-testid=week-calendar]", Timeout);
        ScheduleUi.Click(cut, "schedule-new");
        cut.WaitForElement("[data-testid=session-save]", Timeout);
        cut.WaitForAssertion(() => Assert.False(cut.Find("button[data-testid=session-save]").HasAttribute("disabled")), Timeout);
    }
}
