using AngleSharp.Dom;
using Bunit.Rendering;

namespace LearnHub.Admin.Tests.Schedule;

/// <summary>Finds and drives elements by their data-testid, re-finding them on every step (MudBlazor re-renders).</summary>
internal static class ScheduleUi
{
    public static IElement InputOf(IRenderedComponent<ScheduleHost> cut, string testId)
    {
        var element = cut.Find($"[data-testid={testId}]");
        return element.TagName is "INPUT" or "TEXTAREA" ? element : element.QuerySelector("input, textarea") ?? element;
    }

    /// <summary>Types a value as a user does: an input event (immediate fields) then a change event.</summary>
    public static void Enter(IRenderedComponent<ScheduleHost> cut, string testId, string value)
    {
        try
        {
            InputOf(cut, testId).Input(value);
        }
        catch (MissingEventHandlerException)
        {
            // Fields that are not immediate listen to change only.
        }
        try
        {
            InputOf(cut, testId).Change(value);
        }
        catch (MissingEventHandlerException)
        {
            // Immediate fields may take the value from input only.
        }
    }

    public static void Click(IRenderedComponent<ScheduleHost> cut, string testId)
    {
        var element = cut.Find($"[data-testid={testId}]");
        (element.TagName is "BUTTON" or "A" ? element : element.QuerySelector("button") ?? element).Click();
    }

    /// <summary>The text around a field (label, value, helper and error text), from its MudBlazor input control.</summary>
    public static string FieldText(IRenderedComponent<ScheduleHost> cut, string testId) =>
        (InputOf(cut, testId).Closest(".mud-input-control") ?? cut.Find($"[data-testid={testId}]")).TextContent;
}
