using System.Globalization;
using Grpc.Core;
using LearnHub.Admin.Components.Courses;
using LearnHub.Admin.Services;
using LearnHub.Api.V1;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace LearnHub.Admin.Components.Pages.Series;

/// <summary>
/// 系列排课: previews a course series with PlanCourseSeries(dry_run = true), then schedules exactly the previewed
/// inputs with dry_run = false, which the server does all-or-nothing. Scheduling is offered only while the shown
/// preview is of the current inputs and has no conflict; the server still decides (a refusal is shown as it says).
/// </summary>
public sealed partial class SeriesPlanner : IDisposable
{
    private static readonly int[] IsoWeekdays = [1, 2, 3, 4, 5, 6, 7];
    private const int DefaultDurationMinutes = 60;
    private const string DefaultLocalTime = "19:30";

    private readonly CancellationTokenSource closing = new();
    private IReadOnlyList<Course> courses = [];
    private bool loading = true;
    private RpcProblem? loadProblem;

    private string courseId = "";
    private string fromChapterId = "";
    // Indexed by ISO weekday, 1 = Monday … 7 = Sunday (index 0 unused).
    private readonly bool[] weekdays = new bool[8];
    private string localTime = DefaultLocalTime;
    private string startDate = "";
    private string timeZone = "";
    private int durationMinutes = DefaultDurationMinutes;
    private readonly List<string> holidays = [];
    private string holidayInput = "";
    private string titleSuffix = "";

    private bool previewing;
    private bool committing;
    private RpcProblem? problem;
    // The request the shown preview answers; scheduling sends exactly this with dry_run = false.
    private PlanCourseSeriesRequest? previewedRequest;
    private PlanCourseSeriesResponse? preview;
    private Dictionary<string, string> previewChapterTitles = [];
    private IReadOnlyList<Session>? committed;

    [CascadingParameter]
    private Task<AuthenticationState> Authentication { get; set; } = default!;

    /// <summary>Preselects a course, e.g. from the course page's 系列排课 button (<c>/series?course=ID</c>).</summary>
    [SupplyParameterFromQuery(Name = "course")]
    public string? CourseQuery { get; set; }

    private bool Busy => previewing || committing;

    private Course? SelectedCourse => courses.FirstOrDefault(c => c.Id == courseId);

    private IEnumerable<Chapter> SelectedChapters => SelectedCourse?.Chapters.OrderBy(c => c.Position) ?? Enumerable.Empty<Chapter>();

    private int ConflictCount => preview?.Planned.Count(p => p.ConflictingSessionId.Length > 0) ?? 0;

    /// <summary>The preview on screen was computed from the inputs on screen.</summary>
    private bool IsPreviewCurrent => previewedRequest is not null && previewedRequest.Equals(BuildRequest(dryRun: true));

    private bool CanCommit => !Busy && preview is { Planned.Count: > 0 } && IsPreviewCurrent && ConflictCount == 0;

    /// <summary>The refusal is shown in an alert when no field shows it, or when it names a conflicting session.</summary>
    private bool ShowProblemAlert => problem is not null && (problem.ConflictingSessionId is { Length: > 0 } || !problem.FieldErrors.Keys.Any(IsShownAtField));

    protected override async Task OnInitializedAsync()
    {
        var zone = await Clock.ZoneAsync();
        timeZone = zone.Id;
        startDate = DateOnly.FromDateTime(Clock.ToLocal(Clock.Now)).AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var actor = CourseActor.From((await Authentication).User);
        try
        {
            // An instructor plans their own courses; an admin may plan any instructor's.
            courses = await CourseDirectory.ListAllCoursesAsync(Api, actor.IsAdmin ? "" : actor.UserId, closing.Token);
            var preselected = courses.FirstOrDefault(c => c.Id == CourseQuery) ?? courses.FirstOrDefault();
            SelectCourse(preselected?.Id ?? "");
        }
        catch (RpcException) when (closing.IsCancellationRequested)
        {
            // The page was left mid-call: nothing to show, and no toast on the next page.
        }
        catch (RpcException e)
        {
            loadProblem = RpcProblem.From(e);
        }
        finally
        {
            loading = false;
        }
    }

    private void CourseChanged(string value)
    {
        Clear("course_id");
        Clear("from_chapter_id");
        SelectCourse(value ?? "");
    }

    private void SelectCourse(string id)
    {
        courseId = id;
        fromChapterId = SelectedChapters.FirstOrDefault()?.Id ?? "";
    }

    private string CourseName(string? id)
    {
        var course = courses.FirstOrDefault(c => c.Id == id);
        if (course is null)
        {
            return id ?? "";
        }
        // Admins see everyone's courses: name the instructor so two 经济基础 can be told apart.
        return course.InstructorName.Length > 0 && courses.Any(c => c.InstructorId != course.InstructorId)
            ? $"{course.Title} · {course.InstructorName}"
            : course.Title;
    }

    private string ChapterName(string? id) => SelectedCourse?.Chapters.FirstOrDefault(c => c.Id == id)?.Title ?? "";

    private void AddHoliday()
    {
        var date = (holidayInput ?? "").Trim();
        if (date.Length > 0 && !holidays.Contains(date))
        {
            holidays.Add(date);
            holidays.Sort(StringComparer.Ordinal);
        }
        holidayInput = "";
    }

    private void RemoveHoliday(string date) => holidays.Remove(date);

    private PlanCourseSeriesRequest BuildRequest(bool dryRun) => new()
    {
        CourseId = courseId,
        FromChapterId = fromChapterId ?? "",
        Weekdays = { IsoWeekdays.Where(d => weekdays[d]) },
        LocalTime = ApiLocalTime(localTime),
        StartDate = (startDate ?? "").Trim(),
        TimeZone = (timeZone ?? "").Trim(),
        DurationMinutes = durationMinutes,
        Holidays = { holidays },
        TitleSuffix = titleSuffix ?? "",
        DryRun = dryRun,
    };

    private async Task PreviewAsync()
    {
        if (Busy)
        {
            return;
        }
        previewing = true;
        problem = null;
        fixedFields.Clear();
        committed = null;
        var request = BuildRequest(dryRun: true);
        try
        {
            preview = await Api.Sessions.PlanCourseSeriesAsync(request, cancellationToken: closing.Token);
            previewedRequest = request;
            previewChapterTitles = SelectedCourse?.Chapters.ToDictionary(c => c.Id, c => c.Title) ?? [];
        }
        catch (RpcException) when (closing.IsCancellationRequested)
        {
            // The page was left mid-call: nothing to show, and no toast on the next page.
        }
        catch (RpcException e)
        {
            problem = RpcProblem.From(e);
            preview = null;
            previewedRequest = null;
            if (Toast(problem) is { } toast)
            {
                Snackbar.Add(toast, Severity.Error);
            }
        }
        finally
        {
            previewing = false;
        }
    }

    private async Task CommitAsync()
    {
        if (!CanCommit || previewedRequest is null)
        {
            return;
        }
        var request = previewedRequest.Clone();
        request.DryRun = false;
        var confirmed = await ConfirmDialog.AskAsync(Dialogs, L["ConfirmTitle"],
            string.Format(CultureInfo.CurrentCulture, L["CommitConfirm"], preview!.Planned.Count), L["CommitAll"]);
        if (!confirmed || !CanCommit)
        {
            return;
        }
        committing = true;
        problem = null;
        fixedFields.Clear();
        try
        {
            var response = await Api.Sessions.PlanCourseSeriesAsync(request, cancellationToken: closing.Token);
            committed = response.Sessions;
            // Scheduled: the preview is spent, and a second click must not try to schedule the same dates again.
            preview = null;
            previewedRequest = null;
            Snackbar.Add(string.Format(CultureInfo.CurrentCulture, L["CommitDone"], committed.Count), Severity.Success);
        }
        catch (RpcException) when (closing.IsCancellationRequested)
        {
            // The page was left mid-call: nothing to show, and no toast on the next page.
        }
        catch (RpcException e)
        {
            problem = RpcProblem.From(e);
            // The world changed since the preview (e.g. a session was scheduled meanwhile): preview again first.
            previewedRequest = null;
            if (Toast(problem) is { } toast)
            {
                Snackbar.Add(toast, Severity.Error);
            }
        }
        finally
        {
            committing = false;
        }
    }

    // Fields changed since the refusal: their errors are gone.
    private readonly HashSet<string> fixedFields = new(StringComparer.Ordinal);

    private static readonly string[] FieldsShown = ["course_id", "from_chapter_id", "weekdays", "local_time", "start_date", "time_zone", "duration_minutes", "title_suffix"];

    private string? FieldError(string field) => fixedFields.Contains(field) ? null : problem?.For(field);

    private void Clear(string field) => fixedFields.Add(field);

    /// <summary>What a toast still has to say after the fields show theirs (null when nothing is left).</summary>
    private string? Toast(RpcProblem refusal) => refusal.ConflictingSessionId is { Length: > 0 }
        ? refusal.Message
        : refusal.Unplaced([.. FieldsShown, .. refusal.FieldErrors.Keys.Where(k => k.StartsWith("holidays", StringComparison.Ordinal))]);

    private static bool IsShownAtField(string field) => field is "course_id" or "from_chapter_id" or "weekdays" or "local_time" or "start_date"
        or "time_zone" or "duration_minutes" or "title_suffix" || field.StartsWith("holidays", StringComparison.Ordinal);

    private string WeekdayOf(string localStart) =>
        DateTime.TryParseExact(localStart, "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)
            ? L[$"Weekday{(local.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)local.DayOfWeek)}"]
            : "";

    public void Dispose()
    {
        closing.Cancel();
        closing.Dispose();
    }

    /// <summary>
    /// The API takes "HH:mm"; browsers report a time input as "HH:mm" or "HH:mm:ss". Anything else goes as typed,
    /// for the server to refuse at the field.
    /// </summary>
    internal static string ApiLocalTime(string? value) =>
        TimeOnly.TryParseExact((value ?? "").Trim(), ["HH:mm", "HH:mm:ss"], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var time)
            ? time.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture)
            : (value ?? "").Trim();
}
