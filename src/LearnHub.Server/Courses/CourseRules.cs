using LearnHub.Core.Common;

namespace LearnHub.Server.Courses;

internal static class CourseRules
{
    public const int TitleMaxLength = 100;
    public const int ChapterTitleMaxLength = 100;
    public const int MaxChapters = 200;

    public static FieldError? CheckTitle(string? title, string field = "title", int max = TitleMaxLength)
    {
        if (string.IsNullOrWhiteSpace(title))
        {
            return new(field, "标题不能为空 (title is required).");
        }
        return TextLength.Count(title) > max ? new(field, $"标题最多 {max} 个字符 (title must be at most {max} characters).") : null;
    }

    public static FieldError? CheckDescription(string? description) =>
        description is not null && TextLength.Count(description) > 2000
            ? new("description", "简介最多 2000 个字符 (description must be at most 2000 characters).")
            : null;
}
