namespace LearnHub.Admin;

/// <summary>Marker for the courses and series planner texts: Resources/CourseStrings.resx (zh-CN, the default) and CourseStrings.en.resx.</summary>
public sealed class CourseStrings;
