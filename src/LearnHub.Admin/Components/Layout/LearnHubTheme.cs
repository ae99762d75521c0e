using MudBlazor;

namespace LearnHub.Admin.Components.Layout;

/// <summary>
/// The console's MudBlazor theme: system fonts (no internet where it runs), sentence-case buttons, and a secondary
/// colour and secondary text that read as plain grey, so that only errors are red.
/// </summary>
public static class LearnHubTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1e5bb8",
            Secondary = "#455a64",
            Tertiary = "#00796b",
            Info = "#0b6fb8",
            Success = "#2e7d32",
            Warning = "#a35a00",
            Error = "#c62828",
            AppbarBackground = "#1e5bb8",
            TextPrimary = "rgba(0,0,0,0.87)",
            // MudBlazor's default secondary text (54 % black) fails contrast on grey backgrounds.
            TextSecondary = "rgba(0,0,0,0.68)",
            ActionDefault = "rgba(0,0,0,0.64)",
            TextDisabled = "rgba(0,0,0,0.50)",
            ActionDisabled = "rgba(0,0,0,0.42)",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = Fonts },
            Button = new ButtonTypography { FontFamily = Fonts, TextTransform = "none", FontWeight = "500" },
        },
    };

    private static readonly string[] Fonts = ["system-ui", "-apple-system", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "sans-serif"];
}
