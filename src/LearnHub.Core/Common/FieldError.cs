namespace LearnHub.Core.Common;

/// <summary>One refused field of a request: the API turns these into google.rpc.BadRequest violations.</summary>
/// <param name="Field">The request field's name as the API spells it (snake_case).</param>
/// <param name="Message">What is wrong, in the current UI culture's language, without the field's key (a person reads it).</param>
/// <param name="Reason">Stable machine reason (UPPER_SNAKE), the violation's <c>reason</c>: FIELD_INVALID unless more precise.</param>
public sealed record FieldError(string Field, string Message, string Reason = FieldError.Invalid)
{
    /// <summary>The value is not acceptable (format, range, unknown value).</summary>
    public const string Invalid = "FIELD_INVALID";

    /// <summary>The field is missing or blank.</summary>
    public const string Required = "FIELD_REQUIRED";

    /// <summary>The text is longer than its limit (characters or UTF-8 bytes).</summary>
    public const string TooLong = "FIELD_TOO_LONG";

    /// <summary>The text holds a character its field cannot carry (a control, a line break, a stacked character).</summary>
    public const string BadCharacter = "FIELD_BAD_CHARACTER";
}
