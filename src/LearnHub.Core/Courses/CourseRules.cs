using LearnHub.Core.Common;

namespace LearnHub.Core.Courses;

/// <summary>The field rules of a course and its chapters.</summary>
public static class CourseRules
{
    public const int TitleMaxLength = 100;
    public const int ChapterTitleMaxLength = 100;
    public const int DescriptionMaxLength = 2000;
    public const int MaxChapters = 200;

    public static readonly TextRule Title = new("title", "标题", "title", TitleMaxLength);

    public static readonly TextRule ChapterTitle = new("title", "章节标题", "chapter title", ChapterTitleMaxLength);

    /// <summary>Optional; paragraphs allowed.</summary>
    public static readonly TextRule Description = new("description", "简介", "description", DescriptionMaxLength, TextKind.MultiLine, Required: false);

    public static FieldError? CheckTitle(string? title, string field = "title") => Title.Check(title, field);

    public static FieldError? CheckChapterTitle(string? title, string field = "title") => ChapterTitle.Check(title, field);

    public static FieldError? CheckDescription(string? description) => Description.Check(description);
}
