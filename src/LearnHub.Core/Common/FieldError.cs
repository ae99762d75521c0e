namespace LearnHub.Core.Common;

/// <summary>One refused field of a request: the API turns these into google.rpc.BadRequest violations.</summary>
/// <param name="Field">The request field's name as the API spells it (snake_case).</param>
public sealed record FieldError(string Field, string Message);
