using Dapper;
using Google.Rpc;
using Grpc.Core;
using LearnHub.Api.V1;
using LearnHub.Server.Data;
using LearnHub.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LearnHub.Server.Tests.Broadcasts;

/// <summary>群发须知 1, 3 and 4 through the API: the 2-a-week quota frozen, consumed and returned, review, idempotency.</summary>
public sealed class QuotaAndReviewTests
{
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);

    /// <summary>A Sunday 23:59:59 in Asia/Shanghai a few weeks ahead of now (tokens stay valid).</summary>
    private static DateTimeOffset SundayNight()
    {
        var today = DateTimeOffset.UtcNow.ToOffset(Shanghai).Date;
        var sunday = today.AddDays(((int)DayOfWeek.Sunday - (int)today.DayOfWeek + 7) % 7 + 7);
        return new DateTimeOffset(sunday.Add(new TimeSpan(23, 59, 59)), Shanghai);
    }

    private static async Task<(LearnHubApp App, TestUser Creator, TestUser Reviewer)> StartAsync(DateTimeOffset? at = null, IDictionary<string, string?>? settings = null)
    {
        var app = await LearnHubApp.StartAsync(settings, clock: new FakeTimeProvider(at ?? DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds())) { AutoAdvanceAmount = TimeSpan.Zero });
        var creator = await app.CreateUserAsync("wanhongcoco", "instructor");
        var reviewer = await app.CreateUserAsync("shenhe", "reviewer");
        await app.CertifyAsync(creator);
        return (app, creator, reviewer);
    }

    [Fact]
    public async Task The_week_runs_monday_to_monday_in_asia_shanghai_and_a_third_submit_in_it_is_refused()
    {
        var sunday = SundayNight();
        var (app, creator, _) = await StartAsync(sunday);
        await using var _ = app;

        var quota = await creator.BroadcastApi().GetQuotaAsync(new GetQuotaRequest());
        Assert.Equal((2, 0, 0, 2), (quota.Limit, quota.Frozen, quota.Consumed, quota.Remaining));
        Assert.Equal(sunday.AddSeconds(1).AddDays(-7), quota.WeekStart.ToDateTimeOffset());
        Assert.Equal(sunday.AddSeconds(1), quota.WeekEnd.ToDateTimeOffset());
        Assert.Equal("Asia/Shanghai", quota.TimeZone);

        await creator.SubmitTextAsync("第一条");
        await creator.SubmitTextAsync("第二条");
        var third = await Assert.ThrowsAsync<RpcException>(() => creator.SubmitTextAsync("第三条"));
        Assert.Equal(StatusCode.FailedPrecondition, third.StatusCode);
        Assert.Contains("本周群发次数不足~", third.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("QUOTA_EXHAUSTED", third.GetRpcStatus()!.GetDetail<PreconditionFailure>()!.Violations[0].Type);

        // Monday 00:00 Shanghai: a new week, a new quota; last week's submissions stay in last week.
        app.Clock.SetUtcNow(sunday.AddSeconds(1));
        var monday = await creator.BroadcastApi().GetQuotaAsync(new GetQuotaRequest());
        Assert.Equal((0, 2), (monday.Frozen, monday.Remaining));
        Assert.Equal(sunday.AddSeconds(1), monday.WeekStart.ToDateTimeOffset());
        var fresh = await creator.SubmitTextAsync("新的一周");
        Assert.Equal(sunday.AddSeconds(1), fresh.WeekStart.ToDateTimeOffset());
        var list = await creator.BroadcastApi().ListMyBroadcastsAsync(new ListMyBroadcastsRequest());
        Assert.Equal(["新的一周", "第二条", "第一条"], list.Broadcasts.Select(b => b.Text));
        Assert.Equal(1, list.Quota.Remaining);
    }

    [Fact]
    public async Task Submitting_freezes_approval_consumes_rejection_and_withdrawal_return()
    {
        var (app, creator, reviewer) = await StartAsync();
        await using var _ = app;

        var first = await creator.SubmitTextAsync("经济基础第19章考点梳理,今晚19:30直播");
        Assert.Equal(BroadcastStatus.Pending, first.Status);
        await AssertQuotaAsync(creator, frozen: 1, consumed: 0);

        await reviewer.BroadcastApi().ApproveBroadcastAsync(new ApproveBroadcastRequest { BroadcastId = first.Id });
        await AssertQuotaAsync(creator, frozen: 0, consumed: 1);

        var second = await creator.SubmitTextAsync("第二条");
        await AssertQuotaAsync(creator, frozen: 1, consumed: 1);
        var rejected = await reviewer.BroadcastApi().RejectBroadcastAsync(new RejectBroadcastRequest { BroadcastId = second.Id, Reason = "含广告信息" });
        Assert.Equal((BroadcastStatus.Rejected, "含广告信息"), (rejected.Status, rejected.Reason));
        await AssertQuotaAsync(creator, frozen: 0, consumed: 1);

        var third = await creator.SubmitTextAsync("第三条");
        await AssertQuotaAsync(creator, frozen: 1, consumed: 1);
        var withdrawn = await creator.BroadcastApi().WithdrawBroadcastAsync(new WithdrawBroadcastRequest { BroadcastId = third.Id });
        Assert.Equal(BroadcastStatus.Withdrawn, withdrawn.Status);
        await AssertQuotaAsync(creator, frozen: 0, consumed: 1);

        // Decided ones cannot be decided again, and the quota does not move.
        var again = await Assert.ThrowsAsync<RpcException>(() => creator.BroadcastApi().WithdrawBroadcastAsync(new WithdrawBroadcastRequest { BroadcastId = first.Id }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
        var twice = await Assert.ThrowsAsync<RpcException>(() => reviewer.BroadcastApi().ApproveBroadcastAsync(new ApproveBroadcastRequest { BroadcastId = second.Id }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, twice.StatusCode);
        await AssertQuotaAsync(creator, frozen: 0, consumed: 1);

        var records = (await creator.BroadcastApi().ListMyBroadcastsAsync(new ListMyBroadcastsRequest())).Broadcasts;
        Assert.Equal([BroadcastStatus.Withdrawn, BroadcastStatus.Rejected, BroadcastStatus.Approved], records.Select(b => b.Status));
        Assert.Equal(["submitted", "approved", "submitted", "rejected", "submitted", "withdrawn"], await app.AuditActionsAsync());
    }

    [Fact]
    public async Task A_review_left_undone_past_the_timeout_expires_by_the_scheduler_and_returns_the_quota()
    {
        var (app, creator, reviewer) = await StartAsync();
        await using var _ = app;
        var admin = await app.CreateUserAsync("admin", "admin");
        await new AdminService.AdminServiceClient(app.Invoker(admin.Token)).UpdatePlatformSettingsAsync(new UpdatePlatformSettingsRequest { ReviewTimeoutHours = 2 });
        var pending = await creator.SubmitTextAsync("等待审核");
        Assert.Equal(app.Clock.GetUtcNow().AddHours(2), pending.ReviewDeadline.ToDateTimeOffset());

        app.Clock.Advance(TimeSpan.FromHours(2).Add(TimeSpan.FromMinutes(1)));

        var expired = await Wait.UntilAsync(
            async () => (await creator.BroadcastApi().ListMyBroadcastsAsync(new ListMyBroadcastsRequest())).Broadcasts.Single(),
            b => b.Status == BroadcastStatus.Expired,
            what: "the expiry job");
        Assert.NotNull(expired.DecideTime);
        await AssertQuotaAsync(creator, frozen: 0, consumed: 0);
        var late = await Assert.ThrowsAsync<RpcException>(() => reviewer.BroadcastApi().ApproveBroadcastAsync(new ApproveBroadcastRequest { BroadcastId = pending.Id }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, late.StatusCode);
        Assert.Equal(["submitted", "expired"], await app.AuditActionsAsync());
    }

    [Theory]
    [InlineData("经", 300, true)]
    [InlineData("经", 301, false)]
    [InlineData("👍🏽", 300, true)]
    [InlineData("👍🏽", 301, false)]
    [InlineData("🇨🇳", 300, true)]
    [InlineData("👨‍👩‍👧", 133, true)]
    [InlineData("👨‍👩‍👧", 134, false)] // 134 characters but 2,412 bytes: past 8 bytes a character
    [InlineData("a", 301, false)]
    public async Task Text_is_one_to_three_hundred_characters_as_a_person_counts_them(string unit, int count, bool accepted)
    {
        var (app, creator, _) = await StartAsync();
        await using var _ = app;
        var text = string.Concat(Enumerable.Repeat(unit, count));

        if (accepted)
        {
            Assert.Equal(text, (await creator.SubmitTextAsync(text)).Text);
            return;
        }
        var refusal = await Assert.ThrowsAsync<RpcException>(() => creator.SubmitTextAsync(text));
        Assert.Equal(StatusCode.InvalidArgument, refusal.StatusCode);
        Assert.Equal("text", Assert.Single(refusal.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations).Field);
        await AssertQuotaAsync(creator, frozen: 0, consumed: 0);
    }

    [Fact]
    public async Task Empty_text_and_a_missing_or_outdated_agreement_are_refused_at_their_fields()
    {
        var (app, creator, _) = await StartAsync();
        await using var _ = app;

        foreach (var (request, field) in new (SubmitBroadcastRequest, string)[]
        {
            (Text("   "), "text"),
            (Text("你好", agreed: false), "agreed_to_agreement"),
            (Text("你好", version: "2020-01"), "agreement_version"),
            (new SubmitBroadcastRequest { RequestId = "k", Text = "你好", AgreedToAgreement = true, AgreementVersion = AgreementVersion }, "kind"),
        })
        {
            var refusal = await Assert.ThrowsAsync<RpcException>(() => creator.BroadcastApi().SubmitBroadcastAsync(request).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, refusal.StatusCode);
            Assert.Contains(refusal.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations, v => v.Field == field);
        }
        await AssertQuotaAsync(creator, frozen: 0, consumed: 0);
        Assert.Empty((await creator.BroadcastApi().ListMyBroadcastsAsync(new ListMyBroadcastsRequest())).Broadcasts);
    }

    [Fact]
    public async Task An_uncertified_creator_gets_no_permission_and_nothing_is_frozen()
    {
        var (app, _, _) = await StartAsync();
        await using var _ = app;
        var uncertified = await app.CreateUserAsync("xiaowang");

        var refusal = await Assert.ThrowsAsync<RpcException>(() => uncertified.SubmitTextAsync("我也想群发"));

        Assert.Equal(StatusCode.PermissionDenied, refusal.StatusCode);
        Assert.Contains("暂无权限", refusal.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("成为认证用户，即可使用群发功能", refusal.Status.Detail, StringComparison.Ordinal);
        var quota = await uncertified.BroadcastApi().GetQuotaAsync(new GetQuotaRequest());
        Assert.False(quota.Certified);
        Assert.Equal((0, 2), (quota.Frozen, quota.Remaining));
    }

    [Fact]
    public async Task A_reviewer_never_decides_their_own_broadcast()
    {
        var (app, _, reviewer) = await StartAsync();
        await using var _ = app;
        await app.CertifyAsync(reviewer);
        var own = await reviewer.SubmitTextAsync("审核员自己的群发");

        var approve = await Assert.ThrowsAsync<RpcException>(() => reviewer.BroadcastApi().ApproveBroadcastAsync(new ApproveBroadcastRequest { BroadcastId = own.Id }).ResponseAsync);
        var reject = await Assert.ThrowsAsync<RpcException>(() => reviewer.BroadcastApi().RejectBroadcastAsync(new RejectBroadcastRequest { BroadcastId = own.Id, Reason = "自审" }).ResponseAsync);

        Assert.Equal((StatusCode.PermissionDenied, StatusCode.PermissionDenied), (approve.StatusCode, reject.StatusCode));
        Assert.Contains("不能审核自己的群发", approve.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(BroadcastStatus.Pending, (await reviewer.BroadcastApi().ListMyBroadcastsAsync(new ListMyBroadcastsRequest())).Broadcasts.Single().Status);
        await AssertQuotaAsync(reviewer, frozen: 1, consumed: 0);
    }

    [Fact]
    public async Task The_same_request_id_returns_the_same_broadcast_and_with_other_content_is_refused()
    {
        var (app, creator, _) = await StartAsync();
        await using var _ = app;
        var request = Text("今晚直播,不见不散", requestId: "req-1");

        var first = await creator.BroadcastApi().SubmitBroadcastAsync(request);
        var retry = await creator.BroadcastApi().SubmitBroadcastAsync(request);
        Assert.Equal(first.Id, retry.Id);
        await AssertQuotaAsync(creator, frozen: 1, consumed: 0);

        var reused = await Assert.ThrowsAsync<RpcException>(() => creator.BroadcastApi().SubmitBroadcastAsync(Text("别的内容", requestId: "req-1")).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, reused.StatusCode);
        Assert.Equal("REQUEST_ID_REUSED", reused.GetRpcStatus()!.GetDetail<PreconditionFailure>()!.Violations[0].Type);
        await AssertQuotaAsync(creator, frozen: 1, consumed: 0);
        Assert.Single((await creator.BroadcastApi().ListMyBroadcastsAsync(new ListMyBroadcastsRequest())).Broadcasts);
    }

    [Fact]
    public async Task A_thousand_concurrent_submits_from_one_creator_accept_exactly_the_remaining_quota()
    {
        var (app, creator, reviewer) = await StartAsync();
        await using var _ = app;
        var earlier = await creator.SubmitTextAsync("本周第一条");
        await reviewer.BroadcastApi().ApproveBroadcastAsync(new ApproveBroadcastRequest { BroadcastId = earlier.Id });

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async i =>
        {
            try
            {
                await creator.BroadcastApi().SubmitBroadcastAsync(Text($"并发 {i}", requestId: $"burst-{i}"));
                return StatusCode.OK;
            }
            catch (RpcException e)
            {
                return e.StatusCode;
            }
        }));

        Assert.Equal(1, outcomes.Count(o => o == StatusCode.OK));
        Assert.Equal(999, outcomes.Count(o => o == StatusCode.FailedPrecondition));
        await AssertQuotaAsync(creator, frozen: 1, consumed: 1);
        Assert.Equal(2, (await creator.BroadcastApi().ListMyBroadcastsAsync(new ListMyBroadcastsRequest())).Broadcasts.Count);
    }

    [Fact]
    public async Task The_review_queue_is_oldest_first_with_waiting_times_and_only_for_reviewers()
    {
        var (app, creator, reviewer) = await StartAsync();
        await using var _ = app;
        var other = await app.CreateUserAsync("zhanglaoshi", "instructor");
        await app.CertifyAsync(other);
        var older = await creator.SubmitTextAsync("先提交");
        app.Clock.Advance(TimeSpan.FromMinutes(30));
        var newer = await other.SubmitTextAsync("后提交");
        app.Clock.Advance(TimeSpan.FromMinutes(30));

        var queue = await reviewer.BroadcastApi().ListReviewQueueAsync(new ListReviewQueueRequest());

        Assert.Equal([older.Id, newer.Id], queue.Items.Select(i => i.Broadcast.Id));
        Assert.Equal([3600L, 1800L], queue.Items.Select(i => i.WaitedSeconds));
        Assert.Equal(older.SubmitTime.ToDateTimeOffset().AddDays(7), queue.Items[0].ReviewDeadline.ToDateTimeOffset());
        Assert.Equal(2, queue.TotalPending);

        await reviewer.BroadcastApi().ApproveBroadcastAsync(new ApproveBroadcastRequest { BroadcastId = older.Id });
        var after = await reviewer.BroadcastApi().ListReviewQueueAsync(new ListReviewQueueRequest());
        Assert.Equal([newer.Id], after.Items.Select(i => i.Broadcast.Id));
        Assert.Equal(3600, after.ExpectedReviewSeconds);

        var viewer = await app.CreateUserAsync("xiaowang");
        var refused = await Assert.ThrowsAsync<RpcException>(() => viewer.BroadcastApi().ListReviewQueueAsync(new ListReviewQueueRequest()).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        var noReason = await Assert.ThrowsAsync<RpcException>(() => reviewer.BroadcastApi().RejectBroadcastAsync(new RejectBroadcastRequest { BroadcastId = newer.Id }).ResponseAsync);
        Assert.Equal("reason", Assert.Single(noReason.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations).Field);
    }

    private const string AgreementVersion = "2024-01";

    private static SubmitBroadcastRequest Text(string text, bool agreed = true, string version = AgreementVersion, string? requestId = null) => new()
    {
        RequestId = requestId ?? Guid.NewGuid().ToString("N"),
        Kind = BroadcastKind.Text,
        Text = text,
        AgreedToAgreement = agreed,
        AgreementVersion = version,
    };

    private static async Task AssertQuotaAsync(TestUser creator, int frozen, int consumed)
    {
        var quota = await creator.BroadcastApi().GetQuotaAsync(new GetQuotaRequest());
        Assert.Equal((frozen, consumed, 2 - frozen - consumed), (quota.Frozen, quota.Consumed, quota.Remaining));
    }
}

public static class BroadcastScenario
{
    public static BroadcastService.BroadcastServiceClient BroadcastApi(this TestUser user) => new(user.App.Invoker(user.Token));

    public static async Task<Broadcast> SubmitTextAsync(this TestUser creator, string text) =>
        await creator.BroadcastApi().SubmitBroadcastAsync(new SubmitBroadcastRequest
        {
            RequestId = Guid.NewGuid().ToString("N"),
            Kind = BroadcastKind.Text,
            Text = text,
            AgreedToAgreement = true,
            AgreementVersion = "2024-01",
        });

    /// <summary>Certifies through the real AdminService, as an admin made for the purpose.</summary>
    public static async Task CertifyAsync(this LearnHubApp app, TestUser user)
    {
        var admin = await app.CreateUserAsync($"certifier-{Guid.NewGuid():N}"[..20], "admin");
        await new AdminService.AdminServiceClient(app.Invoker(admin.Token)).SetCertifiedAsync(new SetCertifiedRequest { UserId = user.Id, Certified = true });
    }

    /// <summary>The audit trail's actions in order (no RPC reads it; it is for the operators).</summary>
    public static async Task<IReadOnlyList<string>> AuditActionsAsync(this LearnHubApp app)
    {
        await using var connection = await app.Services.GetRequiredService<Database>().OpenAsync(CancellationToken.None);
        return (await connection.QueryAsync<string>("SELECT action FROM broadcast_audit ORDER BY id")).AsList();
    }
}
