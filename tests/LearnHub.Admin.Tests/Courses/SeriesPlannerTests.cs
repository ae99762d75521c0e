using Google.Protobuf.WellKnownTypes;
using LearnHub.Admin.Components.Pages.Series;
using LearnHub.Admin.Tests.Infrastructure;
using LearnHub.Api.V1;
using MudBlazor;

namespace LearnHub.Admin.Tests.Courses;

public sealed class SeriesPlannerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private static readonly Course Economics = CourseTestData.Course("c1", "经济基础", 3, "第19章", "第20章", "第21章");

    [Fact]
    public async Task Preview_shows_every_planned_date_and_marks_the_conflicting_one_with_a_link()
    {
        await using var context = NewContext();
        context.Api.On<PlanCourseSeriesRequest, PlanCourseSeriesResponse>("PlanCourseSeries", r => Plan(r, conflictAt: 2));
        var page = RenderPlanner(context);

        Check(page, 1);
        Check(page, 3);
        page.Find("[data-testid=series-preview]").Click();

        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll("[data-testid^=series-row-]").Count), Timeout);
        Assert.Contains("经济基础第19章考点梳理", page.Find("[data-testid=series-row-1]").TextContent, StringComparison.Ordinal);
        Assert.Contains("2026-05-04 19:30", page.Find("[data-testid=series-start-1]").TextContent, StringComparison.Ordinal);
        Assert.Contains("2026-05-06 19:30", page.Find("[data-testid=series-start-2]").TextContent, StringComparison.Ordinal);
        Assert.Contains("2026-05-11 19:30", page.Find("[data-testid=series-start-3]").TextContent, StringComparison.Ordinal);
        Assert.Contains("第20章", page.Find("[data-testid=series-chapter-2]").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=series-conflict-1]"));
        Assert.Empty(page.FindAll("[data-testid=series-conflict-3]"));
        var link = page.Find("[data-testid=series-conflict-link-2]");
        Assert.Equal("/sessions/s_busy", link.GetAttribute("href"));
        Assert.Contains("经济基础阶段测试2试题讲解", page.Find("[data-testid=series-conflict-2]").TextContent, StringComparison.Ordinal);
        Assert.Single(context.Api.RequestsTo<PlanCourseSeriesRequest>("PlanCourseSeries"), r => r.DryRun);
    }

    [Fact]
    public async Task Schedule_all_stays_disabled_while_a_conflict_is_shown()
    {
        await using var context = NewContext();
        context.Api.On<PlanCourseSeriesRequest, PlanCourseSeriesResponse>("PlanCourseSeries", r => Plan(r, conflictAt: 1));
        var page = RenderPlanner(context);
        Assert.True(page.Find("[data-testid=series-commit]").HasAttribute("disabled"));

        Check(page, 2);
        page.Find("[data-testid=series-preview]").Click();

        page.WaitForAssertion(() => page.Find("[data-testid=series-conflict-1]"), Timeout);
        Assert.True(page.Find("[data-testid=series-commit]").HasAttribute("disabled"));
        page.Find("[data-testid=series-preview-conflicts]");
    }

    [Fact]
    public async Task Schedule_all_is_enabled_by_a_clean_preview_and_disabled_again_when_an_input_changes()
    {
        await using var context = NewContext();
        context.Api.On<PlanCourseSeriesRequest, PlanCourseSeriesResponse>("PlanCourseSeries", r => Plan(r));
        var page = RenderPlanner(context);

        Check(page, 1);
        page.Find("[data-testid=series-preview]").Click();
        page.WaitForAssertion(() => Assert.False(page.Find("[data-testid=series-commit]").HasAttribute("disabled")), Timeout);

        page.Find("[data-testid=series-time]").Change("20:00");

        page.WaitForAssertion(() => Assert.True(page.Find("[data-testid=series-commit]").HasAttribute("disabled")), Timeout);
        page.Find("[data-testid=series-preview-outdated]");
    }

    [Fact]
    public async Task Schedule_all_asks_first_then_sends_the_previewed_inputs_with_dry_run_false()
    {
        await using var context = NewContext();
        context.Api.On<PlanCourseSeriesRequest, PlanCourseSeriesResponse>("PlanCourseSeries", r => Plan(r));
        var dialogs = context.Render<MudDialogProvider>();
        var page = RenderPlanner(context);

        Check(page, 2);
        Check(page, 4);
        page.Find("[data-testid=series-time]").Change("20:15");
        page.Find("[data-testid=series-start-date]").Change("2026-05-10");
        page.Find("[data-testid=series-duration]").Change("90");
        var zonePicker = page.FindComponent<MudAutocomplete<string>>();
        await page.InvokeAsync(() => zonePicker.Instance.ValueChanged.InvokeAsync("Europe/Berlin"));
        page.Find("[data-testid=series-title-suffix]").Change("考点梳理");
        page.Find("[data-testid=series-holiday-input]").Change("2026-05-12");
        page.Find("[data-testid=series-holiday-add]").Click();
        page.Find("[data-testid=series-preview]").Click();
        page.WaitForAssertion(() => Assert.False(page.Find("[data-testid=series-commit]").HasAttribute("disabled")), Timeout);

        page.Find("[data-testid=series-commit]").Click();
        dialogs.WaitForAssertion(() => dialogs.Find("[data-testid=confirm-yes]"), Timeout);
        Assert.Single(context.Api.RequestsTo<PlanCourseSeriesRequest>("PlanCourseSeries"));
        dialogs.Find("[data-testid=confirm-yes]").Click();

        page.WaitForAssertion(() => page.Find("[data-testid=series-done]"), Timeout);
        var requests = context.Api.RequestsTo<PlanCourseSeriesRequest>("PlanCourseSeries").ToList();
        Assert.Equal(2, requests.Count);
        Assert.True(requests[0].DryRun);
        Assert.False(requests[1].DryRun);
        var expected = requests[0].Clone();
        expected.DryRun = false;
        Assert.Equal(expected, requests[1]);
        Assert.Equal(new PlanCourseSeriesRequest
        {
            CourseId = "c1",
            FromChapterId = "ch1",
            Weekdays = { 2, 4 },
            LocalTime = "20:15",
            StartDate = "2026-05-10",
            TimeZone = "Europe/Berlin",
            DurationMinutes = 90,
            Holidays = { "2026-05-12" },
            TitleSuffix = "考点梳理",
            DryRun = false,
        }, requests[1]);
        Assert.Equal("/schedule", page.Find("[data-testid=series-schedule-link]").GetAttribute("href"));
        Assert.True(page.Find("[data-testid=series-commit]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Declining_the_confirmation_writes_nothing()
    {
        await using var context = NewContext();
        context.Api.On<PlanCourseSeriesRequest, PlanCourseSeriesResponse>("PlanCourseSeries", r => Plan(r));
        var dialogs = context.Render<MudDialogProvider>();
        var page = RenderPlanner(context);
        Check(page, 1);
        page.Find("[data-testid=series-preview]").Click();
        page.WaitForAssertion(() => Assert.False(page.Find("[data-testid=series-commit]").HasAttribute("disabled")), Timeout);

        page.Find("[data-testid=series-commit]").Click();
        dialogs.WaitForAssertion(() => dialogs.Find("[data-testid=confirm-no]"), Timeout);
        dialogs.Find("[data-testid=confirm-no]").Click();

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=confirm-yes]")), Timeout);
        Assert.All(context.Api.RequestsTo<PlanCourseSeriesRequest>("PlanCourseSeries"), r => Assert.True(r.DryRun));
        Assert.Empty(page.FindAll("[data-testid=series-done]"));
    }

    [Fact]
    public async Task Weekday_checkboxes_send_iso_numbers_monday_1_to_sunday_7()
    {
        await using var context = NewContext();
        context.Api.On<PlanCourseSeriesRequest, PlanCourseSeriesResponse>("PlanCourseSeries", r => Plan(r));
        var page = RenderPlanner(context);

        Assert.Contains("周一", page.Find("[data-testid=series-weekdays]").TextContent, StringComparison.Ordinal);
        Check(page, 7);
        Check(page, 1);
        Check(page, 3);
        page.Find("[data-testid=series-preview]").Click();

        page.WaitForAssertion(() => Assert.Single(context.Api.RequestsTo<PlanCourseSeriesRequest>("PlanCourseSeries")), Timeout);
        Assert.Equal([1, 3, 7], context.Api.RequestsTo<PlanCourseSeriesRequest>("PlanCourseSeries").Single().Weekdays);
    }

    [Fact]
    public async Task The_servers_field_errors_show_at_their_fields()
    {
        await using var context = NewContext();
        context.Api.On<PlanCourseSeriesRequest, PlanCourseSeriesResponse>("PlanCourseSeries", _ => throw CourseTestData.Invalid(
            ("weekdays", "请选择星期,1(周一)至 7(周日),不重复"),
            ("local_time", "时间格式为 HH:mm"),
            ("duration_minutes", "时长须在 5–720 分钟之间"),
            ("holidays[0]", "日期格式为 yyyy-MM-dd")));
        var page = RenderPlanner(context);

        page.Find("[data-testid=series-preview]").Click();

        page.WaitForAssertion(() => Assert.Contains("请选择星期", page.Find("[data-testid=series-weekdays-error]").TextContent, StringComparison.Ordinal), Timeout);
        Assert.Contains("时间格式为 HH:mm", HelperTextOf(page, "series-time"), StringComparison.Ordinal);
        Assert.Contains("时长须在 5–720 分钟之间", HelperTextOf(page, "series-duration"), StringComparison.Ordinal);
        Assert.Contains("日期格式为 yyyy-MM-dd", page.Find("[data-testid=series-holidays-error]").TextContent, StringComparison.Ordinal);
        Assert.Equal("true", page.Find("[data-testid=series-time]").GetAttribute("aria-invalid"));
        Assert.Empty(page.FindAll("[data-testid^=series-row-]"));
        Assert.True(page.Find("[data-testid=series-commit]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task A_refused_commit_shows_the_servers_message_and_names_the_conflicting_session()
    {
        await using var context = NewContext();
        context.Api.On<PlanCourseSeriesRequest, PlanCourseSeriesResponse>("PlanCourseSeries",
            r => r.DryRun ? Plan(r) : throw CourseTestData.ScheduleConflict("s_new", "临时加课"));
        var dialogs = context.Render<MudDialogProvider>();
        var page = RenderPlanner(context);
        Check(page, 1);
        page.Find("[data-testid=series-preview]").Click();
        page.WaitForAssertion(() => Assert.False(page.Find("[data-testid=series-commit]").HasAttribute("disabled")), Timeout);

        page.Find("[data-testid=series-commit]").Click();
        dialogs.WaitForAssertion(() => dialogs.Find("[data-testid=confirm-yes]"), Timeout);
        dialogs.Find("[data-testid=confirm-yes]").Click();

        page.WaitForAssertion(() => Assert.Contains("临时加课", page.Find("[data-testid=series-error]").TextContent, StringComparison.Ordinal), Timeout);
        Assert.Equal("/sessions/s_new", page.Find("[data-testid=series-error-conflict-link]").GetAttribute("href"));
        Assert.Empty(page.FindAll("[data-testid=series-done]"));
        Assert.True(page.Find("[data-testid=series-commit]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Without_courses_the_planner_shows_an_empty_state()
    {
        await using var context = new AdminTestContext();
        context.Api.On<ListCoursesRequest, ListCoursesResponse>("ListCourses", _ => new ListCoursesResponse());
        context.RenderProviders();

        var page = context.Render<SeriesPlanner>();

        page.WaitForAssertion(() => page.Find("[data-testid=series-empty]"), Timeout);
        Assert.Empty(page.FindAll("[data-testid=series-preview]"));
    }

    [Fact]
    public async Task Defaults_come_from_the_user_the_first_course_and_its_first_chapter()
    {
        await using var context = NewContext(timeZone: "Europe/Berlin");
        var page = RenderPlanner(context);

        Assert.Equal("Europe/Berlin", page.Find("[data-testid=series-time-zone]").GetAttribute("value"));
        // The fake clock is 2026-05-01 02:00 UTC: tomorrow in Berlin is 05-02.
        Assert.Equal("2026-05-02", page.Find("[data-testid=series-start-date]").GetAttribute("value"));
        Assert.Equal("u_tester", context.Api.RequestsTo<ListCoursesRequest>("ListCourses").Single().InstructorId);
        Assert.Equal("经济基础", page.Find("[data-testid=series-course]").GetAttribute("value"));
        Assert.Equal("第19章", page.Find("[data-testid=series-from-chapter]").GetAttribute("value"));
    }

    [Fact]
    public async Task The_planner_speaks_english_when_the_user_chose_it()
    {
        await using var context = NewContext();
        System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo("en");
        var page = RenderPlanner(context);

        Assert.Contains("Mon", page.Find("[data-testid=series-weekdays]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Preview", page.Find("[data-testid=series-preview]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Schedule all", page.Find("[data-testid=series-commit]").TextContent, StringComparison.Ordinal);
    }

    private static AdminTestContext NewContext(string timeZone = "Asia/Shanghai")
    {
        var context = new AdminTestContext(timeZone, "instructor");
        context.Api.On<ListCoursesRequest, ListCoursesResponse>("ListCourses", _ => new ListCoursesResponse { Courses = { Economics } });
        return context;
    }

    private static IRenderedComponent<SeriesPlanner> RenderPlanner(AdminTestContext context)
    {
        context.RenderProviders();
        var page = context.Render<SeriesPlanner>();
        page.WaitForAssertion(() => page.Find("[data-testid=series-preview]"), Timeout);
        return page;
    }

    private static void Check(IRenderedComponent<SeriesPlanner> page, int isoWeekday) =>
        page.Find($"[data-testid=series-weekday-{isoWeekday}]").Change(true);

    private static string HelperTextOf(IRenderedComponent<SeriesPlanner> page, string testId) =>
        page.Find($"[data-testid={testId}]").Closest(".mud-input-control")?.QuerySelector(".mud-input-helper-text")?.TextContent ?? "";

    /// <summary>Three sessions (Mon 05-04, Wed 05-06, Mon 05-11, 19:30 Shanghai); <paramref name="conflictAt"/> (1-based) overlaps.</summary>
    private static PlanCourseSeriesResponse Plan(PlanCourseSeriesRequest request, int conflictAt = 0)
    {
        var response = new PlanCourseSeriesResponse();
        string[] dates = ["2026-05-04", "2026-05-06", "2026-05-11"];
        for (var i = 0; i < 3; i++)
        {
            var start = DateTimeOffset.Parse($"{dates[i]}T19:30:00+08:00", System.Globalization.CultureInfo.InvariantCulture);
            var planned = new PlannedSession
            {
                ChapterId = Economics.Chapters[i].Id,
                Title = Economics.Title + Economics.Chapters[i].Title + request.TitleSuffix + (request.TitleSuffix.Length == 0 ? "考点梳理" : ""),
                PlannedStart = Timestamp.FromDateTimeOffset(start),
                PlannedEnd = Timestamp.FromDateTimeOffset(start.AddMinutes(request.DurationMinutes)),
                LocalStart = $"{dates[i]} 19:30",
            };
            if (i + 1 == conflictAt)
            {
                planned.ConflictingSessionId = "s_busy";
                planned.ConflictingSessionTitle = "经济基础阶段测试2试题讲解";
            }
            response.Planned.Add(planned);
            if (!request.DryRun)
            {
                response.Sessions.Add(new Session { Id = $"s{i}", Title = planned.Title, PlannedStart = planned.PlannedStart, Status = SessionStatus.Scheduled });
            }
        }
        return response;
    }
}
