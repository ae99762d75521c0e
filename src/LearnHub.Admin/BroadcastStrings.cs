namespace LearnHub.Admin;

/// <summary>Marker for the fan-broadcast pages' texts (群发, 群发记录, review, reports, 消息中心, 关注): Resources/BroadcastStrings.resx (zh-CN, the default) and BroadcastStrings.en.resx.</summary>
public sealed class BroadcastStrings;
