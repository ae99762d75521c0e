using System.Diagnostics;
using LearnHub.Server.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace LearnHub.Server.Tests.Telemetry;

/// <summary>
/// A call's span is named and labelled only when a tracer records it. ASP.NET Core makes every request an Activity
/// for its log scope even when no tracer listens (metrics only, the default without OTLP), and such an Activity asks
/// for all data: labelling it would cost every call for a span nobody exports.
/// </summary>
public sealed class RequestSpanNamingTests : IDisposable
{
    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public void Dispose() => services.Dispose();

    [Fact]
    public async Task The_log_scope_activity_of_an_untraced_call_gets_no_span_labels()
    {
        // As hosting makes it with no listener: new Activity(...), which sets IsAllDataRequested, not sampled.
        using var activity = new Activity("Microsoft.AspNetCore.Hosting.HttpRequestIn").Start();

        await CallAsync(activity);

        Assert.Empty(activity.TagObjects);
        Assert.Equal("Microsoft.AspNetCore.Hosting.HttpRequestIn", activity.DisplayName);
    }

    [Fact]
    public async Task A_recorded_call_span_is_named_after_its_method_with_its_status()
    {
        using var activity = new Activity("Microsoft.AspNetCore.Hosting.HttpRequestIn");
        activity.ActivityTraceFlags = ActivityTraceFlags.Recorded;
        activity.Start();

        await CallAsync(activity);

        Assert.Equal("grpc", activity.GetTagItem("rpc.system"));
        Assert.Equal(0, activity.GetTagItem("rpc.grpc.status_code"));
    }

    private async Task CallAsync(Activity activity)
    {
        using var metrics = new GrpcCallMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), TimeProvider.System);
        var http = new DefaultHttpContext();
        http.Features.Set<IHttpActivityFeature>(new ActivityFeature(activity));
        await metrics.MeasureAsync(http, context =>
        {
            context.Response.Headers["grpc-status"] = "0";
            return Task.CompletedTask;
        });
    }

    private sealed class ActivityFeature(Activity activity) : IHttpActivityFeature
    {
        public Activity Activity { get; set; } = activity;
    }
}
