using System.Collections;
using System.Globalization;
using System.Resources;
using LearnHub.Admin.Components.Broadcasts;

namespace LearnHub.Admin.Tests.Broadcasts;

public sealed class BroadcastTextTests
{
    [Theory]
    [InlineData("", 0)]
    [InlineData("经济基础", 4)]
    [InlineData("👨‍👩‍👧", 1)]
    [InlineData("👍🏽👍🏽", 2)]
    [InlineData("e\u0301", 1)]
    public void Counts_as_a_person_does(string text, int expected) => Assert.Equal(expected, BroadcastText.Count(text));

    [Theory]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0 }, "image/png")]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 }, "image/jpeg")]
    [InlineData(new byte[] { 0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4, 0x57, 0x45, 0x42, 0x50 }, "image/webp")]
    [InlineData(new byte[] { 0x47, 0x49, 0x46, 0x38, 0x39, 0x61 }, null)]
    [InlineData(new byte[] { 0x89, 0x50 }, null)]
    public void Sniffs_png_jpeg_and_webp_only(byte[] data, string? expected) => Assert.Equal(expected, BroadcastText.SniffImageType(data));

    [Fact]
    public void Every_text_has_an_English_version()
    {
        var resources = new ResourceManager("LearnHub.Admin.Resources.BroadcastStrings", typeof(BroadcastText).Assembly);
        var chinese = resources.GetResourceSet(CultureInfo.InvariantCulture, createIfNotExists: true, tryParents: false)!;
        var english = resources.GetResourceSet(new CultureInfo("en"), createIfNotExists: true, tryParents: false)!;
        var missing = chinese.Cast<DictionaryEntry>().Select(e => (string)e.Key).Where(k => string.IsNullOrEmpty(english.GetString(k))).ToList();
        Assert.Empty(missing);
        Assert.Equal("暂无权限 — 成为认证用户，即可使用群发功能", chinese.GetString("NoPermission"));
        Assert.Equal("提交成功，消息将在审核通过后发送", chinese.GetString("SubmitSuccess"));
    }

    [Fact]
    public void Chinese_texts_use_full_width_punctuation_and_English_ones_no_Chinese()
    {
        var resources = new ResourceManager("LearnHub.Admin.Resources.BroadcastStrings", typeof(BroadcastText).Assembly);
        var chinese = resources.GetResourceSet(CultureInfo.InvariantCulture, createIfNotExists: true, tryParents: false)!;
        var english = resources.GetResourceSet(new CultureInfo("en"), createIfNotExists: true, tryParents: false)!;
        var halfWidth = chinese.Cast<DictionaryEntry>().Where(e => System.Text.RegularExpressions.Regex.IsMatch((string)e.Value!, "[,:;?()!]")).Select(e => e.Key).ToList();
        Assert.Empty(halfWidth);
        var leaking = english.Cast<DictionaryEntry>().Where(e => System.Text.RegularExpressions.Regex.IsMatch((string)e.Value!, @"\p{IsCJKUnifiedIdeographs}|[《》，。：]")).Select(e => e.Key).ToList();
        Assert.Empty(leaking);
        Assert.Equal("拉黑 — 不再接收Ta的消息", chinese.GetString("BlockHint"));
        Assert.Equal("the publishing agreement", english.GetString("AgreementName"));
    }
}
