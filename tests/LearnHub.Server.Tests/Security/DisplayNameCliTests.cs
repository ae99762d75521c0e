using LearnHub.Server.Tests.Durability;
using LearnHub.Server.Tests.Infrastructure;

namespace LearnHub.Server.Tests.Security;

/// <summary>`user add --name` takes a display name under the same rule as every text field: 1–50 characters, 400 bytes, one line.</summary>
public sealed class DisplayNameCliTests
{
    [Fact]
    public async Task A_display_name_the_rule_refuses_creates_nobody_and_says_why()
    {
        var data = Directory.CreateTempSubdirectory("learnhub-cli-name-").FullName;
        try
        {
            foreach (var (name, why) in new[]
            {
                ("a" + new string('\u0301', 20), "组合符号"),
                (new string('名', 51), "最多 50 个字符"),
                (string.Concat(Enumerable.Repeat("👨‍👩‍👧‍👦", 17)), "最多 400 字节"),
                ("万红\ncoco", "不能换行"),
                ("\u200B\u200D", "不能为空"),
            })
            {
                var refusal = await Assert.ThrowsAsync<InvalidOperationException>(
                    () => ServerProcess.RunCliAsync("user", "add", "--handle", "wanhongcoco", "--name", name, "--data-dir", data));
                Assert.Contains("exited 1", refusal.Message, StringComparison.Ordinal);
                Assert.Contains(why, refusal.Message, StringComparison.Ordinal);
            }

            // Nothing was made: the handle is still free, and a good name takes it.
            var created = await ServerProcess.RunCliAsync("user", "add", "--handle", "wanhongcoco", "--name", "万红coco 👩🏽‍🏫", "--roles", "instructor", "--data-dir", data);
            Assert.Contains("\twanhongcoco\t万红coco 👩🏽‍🏫\t", created, StringComparison.Ordinal);
        }
        finally
        {
            await TestStore.ForgetAsync(data);
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }
}
