using System.Security.Claims;
using LearnHub.Admin.Services;
using LearnHub.Api.V1;

namespace LearnHub.Admin.Components.Courses;

/// <summary>Who is using the course pages: an instructor manages their own courses, an admin acts for any instructor.</summary>
public sealed record CourseActor(string UserId, bool IsAdmin, bool IsInstructor)
{
    public static CourseActor From(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return new CourseActor(user.FindFirst(AdminClaims.Subject)?.Value ?? "", user.IsInRole("admin"), user.IsInRole("instructor"));
    }

    /// <summary>The instructor whose courses a page starts with: an admin who does not teach starts with everyone's.</summary>
    public string DefaultInstructorId => IsInstructor ? UserId : "";
}

/// <summary>Reads that several course pages share: every page of a listing, so pickers are complete.</summary>
public static class CourseDirectory
{
    private const int PageSize = 100;

    /// <summary>Stops after this many pages: a picker with more courses than this is not usable anyway.</summary>
    private const int MaxPages = 10;

    public static async Task<IReadOnlyList<Course>> ListAllCoursesAsync(LearnHubApi api, string instructorId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(api);
        var courses = new List<Course>();
        var token = "";
        for (var page = 0; page < MaxPages; page++)
        {
            var response = await api.Courses.ListCoursesAsync(
                new ListCoursesRequest { InstructorId = instructorId, PageSize = PageSize, PageToken = token }, cancellationToken: cancellationToken);
            courses.AddRange(response.Courses);
            token = response.NextPageToken;
            if (token.Length == 0)
            {
                break;
            }
        }
        return courses;
    }

    /// <summary>Users holding the instructor role (admins only: the API refuses everyone else).</summary>
    public static async Task<IReadOnlyList<User>> ListInstructorsAsync(LearnHubApi api, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(api);
        var instructors = new List<User>();
        var token = "";
        for (var page = 0; page < MaxPages; page++)
        {
            var response = await api.Admin.ListUsersAsync(new ListUsersRequest { PageSize = PageSize, PageToken = token }, cancellationToken: cancellationToken);
            instructors.AddRange(response.Users.Where(u => u.Roles.Contains("instructor")));
            token = response.NextPageToken;
            if (token.Length == 0)
            {
                break;
            }
        }
        return instructors;
    }
}

/// <summary>Field errors that the API reports per list element (e.g. "holidays[2]") shown at the one input of the list.</summary>
public static class RpcProblemFields
{
    public static string? ForList(this RpcProblem? problem, string field)
    {
        if (problem is null)
        {
            return null;
        }
        var messages = problem.FieldErrors
            .Where(e => e.Key == field || e.Key.StartsWith(field + "[", StringComparison.Ordinal))
            .Select(e => e.Key == field ? e.Value : $"{e.Key}: {e.Value}")
            .ToList();
        return messages.Count == 0 ? null : string.Join(" ", messages);
    }
}
