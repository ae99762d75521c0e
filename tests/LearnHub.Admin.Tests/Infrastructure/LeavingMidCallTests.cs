using Bunit;
using Grpc.Core;
using LearnHub.Admin.Components.Pages.Admin;
using LearnHub.Admin.Components.Pages.Courses;
using LearnHub.Admin.Components.Pages.Sessions;
using LearnHub.Admin.Tests.Schedule;
using LearnHub.Api.V1;
using Microsoft.AspNetCore.Components;
using CalendarPage = LearnHub.Admin.Components.Pages.Calendar;

namespace LearnHub.Admin.Tests.Infrastructure;

/// <summary>
/// A page left while its call is in flight cancels the call; the Cancelled that comes back must end quietly. If it
/// escaped, Blazor would end the user's circuit and the page they went to would never finish loading.
/// </summary>
public sealed class LeavingMidCallTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public Task The_calendar_feeds_page() =>
        LeaveMidCallAsync<CalendarPage>("GetMyCalendarFeedKey", ["instructor"], _ => { });

    [Fact]
    public Task The_users_page() =>
        LeaveMidCallAsync<Users>("ListUsers", ["admin"], _ => { });

    [Fact]
    public Task The_course_page() =>
        LeaveMidCallAsync<CourseEdit>("GetCourse", ["instructor"], p => p.Add(x => x.CourseId, "c1"));

    [Fact]
    public Task The_session_page_while_its_stream_key_loads() =>
        // Back right after opening a session (a real failure of the Back test in Chromium: the next page never loaded).
        LeaveMidCallAsync<SessionPage>("GetStreamKey", ["instructor"], p => p.Add(x => x.SessionId, "s1"), api => api
            .On<GetSessionRequest, Session>("GetSession", _ => ScheduleFakes.Session("s1", "经济基础第19章考点梳理", new DateTimeOffset(2026, 5, 1, 2, 10, 0, TimeSpan.Zero))));

    private static async Task LeaveMidCallAsync<TPage>(string method, string[] roles, Action<ComponentParameterCollectionBuilder<TPage>> parameters, Action<FakeApi>? answers = null)
        where TPage : IComponent
    {
        await using var context = new AdminTestContext(roles: roles);
        answers?.Invoke(context.Api);
        context.Api.Hold(method);
        context.Render<TPage>(parameters);
        // Pages start their first call while rendering (before their first await of something unfinished).
        var call = Assert.Single(context.Api.HeldCalls);

        await context.DisposeComponentsAsync();

        // The call ends Cancelled; whatever the page does with that runs on the renderer before these no-ops.
        await Assert.ThrowsAsync<RpcException>(() => call.WaitAsync(Timeout, Xunit.TestContext.Current.CancellationToken));
        for (var i = 0; i < 3; i++)
        {
            await context.Renderer.Dispatcher.InvokeAsync(() => { });
        }
        Assert.False(context.Renderer.UnhandledException.IsCompleted, $"an exception escaped the left {typeof(TPage).Name} page");
    }
}
