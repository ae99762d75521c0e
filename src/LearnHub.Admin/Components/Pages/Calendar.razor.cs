using Grpc.Core;
using LearnHub.Admin.Services;
using LearnHub.Api.V1;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Localization;
using Microsoft.JSInterop;
using MudBlazor;

namespace LearnHub.Admin.Components.Pages;

/// <summary>
/// 日历订阅: the signed-in user's .ics feed URLs (their reservations; for instructors their schedule and each of their
/// courses), built from their feed key and this site's address, with copy buttons and a key reset.
/// </summary>
public sealed partial class Calendar : IDisposable
{
    private const int CoursePageSize = 100;
    private const int MaxCoursePages = 10;

    private readonly CancellationTokenSource disposed = new();
    private string? key;
    private string? userId;
    private bool isInstructor;
    private List<Course>? courses;
    private bool rotating;
    private RpcProblem? problem;

    // Why the feed links cannot be shown (the server's key ring was replaced), when they cannot: a reset gives new ones.
    private string? unreadable;

    [Inject]
    private LearnHubApi Api { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Inject]
    private IJSRuntime JS { get; set; } = default!;

    // Read through the provider: a host without configuration (a component test) shows the page's own address.
    [Inject]
    private IServiceProvider Services { get; set; } = default!;

    [Inject]
    private IStringLocalizer<AdminStrings> T { get; set; } = default!;

    [Inject]
    private IStringLocalizer<Strings> L { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState>? Authentication { get; set; }

    private string MeUrl => FeedUrl("calendar/me.ics");

    private string InstructorUrl => FeedUrl($"calendar/instructors/{Uri.EscapeDataString(userId ?? "")}.ics");

    private string CourseUrl(string courseId) => FeedUrl($"calendar/courses/{Uri.EscapeDataString(courseId)}.ics");

    private string FeedUrl(string path) => $"{PublicBase}{path}?key={Uri.EscapeDataString(key ?? "")}";

    /// <summary>
    /// Where calendar apps reach this server: the configured public address (Web:PublicBaseUrl, the one the feeds' own
    /// links use), else the address this page was opened at (BaseUri ends with "/" and carries any path base).
    /// </summary>
    private string PublicBase =>
        (Services.GetService(typeof(Microsoft.Extensions.Configuration.IConfiguration)) as Microsoft.Extensions.Configuration.IConfiguration)?["Web:PublicBaseUrl"] is { Length: > 0 } configured
        && Uri.TryCreate(configured.Trim(), UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? configured.Trim().TrimEnd('/') + "/"
            : Navigation.BaseUri;

    protected override async Task OnInitializedAsync()
    {
        if (Authentication is not null)
        {
            var user = (await Authentication).User;
            userId = user.FindFirst(AdminClaims.Subject)?.Value;
            isInstructor = user.IsInRole("instructor");
        }
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        problem = null;
        unreadable = null;
        try
        {
            try
            {
                key = (await Api.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest(), cancellationToken: disposed.Token)).Key;
            }
            catch (RpcException e) when (RpcProblem.IsRefusal(e, StatusCode.FailedPrecondition, "CALENDAR_FEED_KEY_UNREADABLE"))
            {
                unreadable = RpcProblem.From(e).Message;
            }
            if (isInstructor && userId is not null)
            {
                courses = await ListMyCoursesAsync(userId);
            }
        }
        catch (RpcException) when (disposed.IsCancellationRequested)
        {
            // The page was left mid-call: nothing to show (an exception here would end the user's circuit).
        }
        catch (RpcException e)
        {
            problem = RpcProblem.From(e);
        }
    }

    private async Task<List<Course>> ListMyCoursesAsync(string instructorId)
    {
        var all = new List<Course>();
        var token = "";
        for (var page = 0; page < MaxCoursePages; page++)
        {
            var response = await Api.Courses.ListCoursesAsync(
                new ListCoursesRequest { InstructorId = instructorId, PageSize = CoursePageSize, PageToken = token }, cancellationToken: disposed.Token);
            all.AddRange(response.Courses);
            token = response.NextPageToken;
            if (string.IsNullOrEmpty(token))
            {
                break;
            }
        }
        return all;
    }

    private async Task CopyAsync(string url)
    {
        try
        {
            await JS.InvokeVoidAsync("navigator.clipboard.writeText", url);
            Snackbar.Add(T["Copied"], Severity.Success);
        }
        catch (JSException)
        {
            Snackbar.Add(T["CopyFailed"], Severity.Warning);
        }
    }

    private async Task RotateAsync()
    {
        if (rotating)
        {
            return;
        }
        var confirmed = await Dialogs.ShowMessageBoxAsync(T["RotateTitle"], T["RotateConfirm"], yesText: T["Rotate"], cancelText: L["Cancel"]);
        if (confirmed != true)
        {
            return;
        }
        rotating = true;
        StateHasChanged();
        try
        {
            key = (await Api.Identity.GetMyCalendarFeedKeyAsync(new GetMyCalendarFeedKeyRequest { Rotate = true }, cancellationToken: disposed.Token)).Key;
            unreadable = null;
            Snackbar.Add(T["Rotated"], Severity.Success);
        }
        catch (RpcException) when (disposed.IsCancellationRequested)
        {
            // The page was left mid-call: nothing to show (an exception here would end the user's circuit).
        }
        catch (RpcException e)
        {
            Snackbar.Add(RpcProblem.From(e).Message, Severity.Error);
        }
        finally
        {
            rotating = false;
        }
    }

    public void Dispose()
    {
        disposed.Cancel();
        disposed.Dispose();
    }
}
