namespace LearnHub.Admin;

/// <summary>Marker for the live pages' texts (live dashboard, audience panel): Resources/LiveStrings.resx (zh-CN, the default) and LiveStrings.en.resx.</summary>
public sealed class LiveStrings;
