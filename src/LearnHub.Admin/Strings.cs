namespace LearnHub.Admin;

/// <summary>Marker for the admin's shared texts: Resources/Strings.resx (zh-CN, the default) and Strings.en.resx.</summary>
public sealed class Strings;
