namespace LearnHub.Admin;

/// <summary>Marker for the schedule and session pages' texts: Resources/ScheduleStrings.resx (zh-CN, the default) and ScheduleStrings.en.resx.</summary>
public sealed class ScheduleStrings;
