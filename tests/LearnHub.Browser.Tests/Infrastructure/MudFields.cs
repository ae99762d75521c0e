namespace LearnHub.Browser.Tests.Infrastructure;

/// <summary>MudBlazor puts a component's data-testid on its input or on a wrapper around it, depending on the component.</summary>
public static class MudFields
{
    /// <summary>The text input (or textarea) of a MudTextField / MudNumericField / MudAutocomplete with this test id.</summary>
    public static ILocator Field(this IPage page, string testId)
    {
        ArgumentNullException.ThrowIfNull(page);
        return page.Locator(
            $"input[data-testid='{testId}'], textarea[data-testid='{testId}'], [data-testid='{testId}'] input:not([type=hidden]), [data-testid='{testId}'] textarea").First;
    }

    /// <summary>Replaces a field's text, then leaves the field so that Blazor's change binding sees the new value.</summary>
    public static async Task SetAsync(this IPage page, string testId, string value)
    {
        var field = page.Field(testId);
        await field.FillAsync(value);
        await field.BlurAsync();
        await Assertions.Expect(field).ToHaveValueAsync(value);
    }
}
