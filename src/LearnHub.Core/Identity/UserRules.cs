using LearnHub.Core.Common;

namespace LearnHub.Core.Identity;

/// <summary>The text rules of users: their display names and the searches that find them.</summary>
public static class UserRules
{
    /// <summary>A display name (万红coco) is shown beside every session, course and broadcast: one line, 1–50 characters.</summary>
    public static readonly TextRule DisplayName = new("display_name", "显示名称", "display name", 50);

    /// <summary>SearchCreators: 1–50 characters after trimming; longer names are found by any 50 characters of them.</summary>
    public static readonly TextRule CreatorQuery = new("query", "搜索内容", "query", 50);

    /// <summary>The admin's ListUsers filter: optional, up to 100 characters.</summary>
    public static readonly TextRule UserQuery = new("query", "搜索词", "query", 100, Required: false);
}
