using System.Text.RegularExpressions;
using LearnHub.Api.V1;
using LearnHub.Server.Tests.Infrastructure;
using static LearnHub.Server.Tests.Infrastructure.Scenario;

namespace LearnHub.Server.Tests.Localization;

/// <summary>
/// Notices read in their reader's language: Chinese with full-width punctuation, or English with none of the Chinese
/// words. Only the session's own title (and the instructor's reason) stays as written.
/// </summary>
public sealed partial class NoticeLanguageTests
{
    private const string Title = "经济基础第19章考点梳理";
    private const string Reason = "讲师临时有事";

    [Fact]
    public async Task Each_reserved_viewer_reads_every_notice_in_their_own_language()
    {
        await using var app = await Scenario.StartAsync();
        var instructor = await app.CreateUserAsync("wanhongcoco", "instructor");
        var chinese = await app.CreateUserAsync("xiaowang");
        var english = await app.CreateUserAsync("anna");
        await english.Identity.UpdateMyLanguageAsync(new UpdateMyLanguageRequest { Language = "en" });
        var start = Shanghai(1, 19, 30);
        var session = await instructor.ScheduleAsync(start, minutes: 90, title: Title);
        await chinese.ReserveAsync(session.Id);
        await english.ReserveAsync(session.Id);

        await app.AdvanceToAsync(start.AddMinutes(-15));
        await instructor.Sessions.UpdateSessionAsync(new UpdateSessionRequest { SessionId = session.Id, PlannedStart = Ts(Shanghai(2, 19, 30)) });
        await instructor.Sessions.CancelSessionAsync(new CancelSessionRequest { SessionId = session.Id, Reason = Reason });

        var zh = (await chinese.NotificationsAsync()).Reverse().Select(n => n.Text).ToList();
        var en = (await english.NotificationsAsync()).Reverse().Select(n => n.Text).ToList();
        Assert.Equal(
            [$"开播提醒：《{Title}》将于 {MonthDay(1)} 19:30 开播", $"《{Title}》时间调整为 {MonthDay(2)} 19:30（90 分钟）", $"《{Title}》已取消：{Reason}"],
            zh);
        Assert.Equal(
            [$"Reminder: “{Title}” starts at {MonthDay(1)} 19:30", $"“{Title}” now starts at {MonthDay(2)} 19:30 (90 min)", $"“{Title}” was cancelled: {Reason}"],
            en);
        Assert.All(en, text => Assert.DoesNotMatch(Chinese(), text.Replace(Title, "", StringComparison.Ordinal).Replace(Reason, "", StringComparison.Ordinal)));
        Assert.All(zh, text => Assert.DoesNotMatch(AsciiPunctuationOrLetters(), text.Replace(Title, "", StringComparison.Ordinal).Replace(Reason, "", StringComparison.Ordinal)));
    }

    [GeneratedRegex(@"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")]
    private static partial Regex Chinese();

    /// <summary>Digits, spaces and the clock's colon and dash belong in both; Latin words and half-width , ; ( ) do not.</summary>
    [GeneratedRegex(@"[A-Za-z,;()!?]|(?<!\d):|:(?!\d)")]
    private static partial Regex AsciiPunctuationOrLetters();
}
