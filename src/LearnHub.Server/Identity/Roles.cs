namespace LearnHub.Server.Identity;

/// <summary>The product's roles (DOMAIN.md: People and roles). One user may hold several.</summary>
public static class Roles
{
    public const string Viewer = "viewer";
    public const string Instructor = "instructor";
    public const string Reviewer = "reviewer";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Viewer, Instructor, Reviewer, Admin];

    public static bool IsKnown(string role) => All.Contains(role);
}
