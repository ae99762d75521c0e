namespace LearnHub.Admin;

/// <summary>Marker for the texts of the admin pages (users, settings) and the calendar page: Resources/AdminStrings.resx (zh-CN) and AdminStrings.en.resx.</summary>
public sealed class AdminStrings;
