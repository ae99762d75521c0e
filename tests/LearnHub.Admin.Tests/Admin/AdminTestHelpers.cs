using AngleSharp.Dom;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace LearnHub.Admin.Tests.Admin;

internal static class AdminTestHelpers
{
    /// <summary>The input behind a data-testid, whether MudBlazor put the attribute on the input or on its wrapper.</summary>
    public static IElement InputOf<T>(this IRenderedComponent<T> component, string testId)
        where T : Microsoft.AspNetCore.Components.IComponent
    {
        var element = component.Find($"[data-testid='{testId}']");
        return element.TagName == "INPUT" ? element : element.QuerySelector("input") ?? throw new InvalidOperationException($"no input in {testId}");
    }

    /// <summary>Whether a rendered checkbox is ticked (Blazor renders the checked attribute).</summary>
    public static bool IsChecked(this IElement input) => input.HasAttribute("checked");

    /// <summary>Whether a rendered input is disabled.</summary>
    public static bool IsDisabled(this IElement input) => input.HasAttribute("disabled");

    /// <summary>The MudBlazor input control (label, input, helper or error text) around a data-testid.</summary>
    public static IElement ControlOf<T>(this IRenderedComponent<T> component, string testId)
        where T : Microsoft.AspNetCore.Components.IComponent =>
        component.Find($"[data-testid='{testId}']").Closest(".mud-input-control") ?? component.Find($"[data-testid='{testId}']");

    /// <summary>An RpcException shaped as the server's refusals: a google.rpc.Status with BadRequest field violations.</summary>
    public static RpcException Refusal(int code, string message, params (string Field, string Description)[] fields)
    {
        var badRequest = new BadRequest();
        badRequest.FieldViolations.AddRange(fields.Select(f => new BadRequest.Types.FieldViolation { Field = f.Field, Description = f.Description }));
        return new Google.Rpc.Status { Code = code, Message = message, Details = { Any.Pack(badRequest) } }.ToRpcException();
    }
}
