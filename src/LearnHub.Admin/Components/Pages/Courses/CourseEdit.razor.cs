using System.Globalization;
using Grpc.Core;
using LearnHub.Admin.Components.Courses;
using LearnHub.Admin.Services;
using LearnHub.Api.V1;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace LearnHub.Admin.Components.Pages.Courses;

/// <summary>
/// One course: its title and description (saved with the version it was read at, so a stale edit is refused) and its
/// chapters (add, rename, reorder, remove). Every change is a CourseService call; the server's refusal is shown as is.
/// </summary>
public sealed partial class CourseEdit : IDisposable
{
    private readonly CancellationTokenSource closing = new();
    private Course? course;
    private bool loading = true;
    private RpcProblem? loadProblem;

    // The title/description draft and the version it was read at.
    private string title = "";
    private string description = "";
    private long editedVersion;
    private bool saving;
    private bool stale;
    private RpcProblem? courseProblem;

    private bool chapterBusy;
    private RpcProblem? chapterProblem;
    private string newChapterTitle = "";
    private int? newChapterPosition;
    private string? renamingId;
    private string renameTitle = "";
    private RpcProblem? renameProblem;

    [Parameter]
    public string CourseId { get; set; } = "";

    private List<Chapter> OrderedChapters => course is null ? [] : [.. course.Chapters.OrderBy(c => c.Position)];

    private string? loadedCourseId;

    protected override async Task OnParametersSetAsync()
    {
        // Only a different course replaces the page; a re-render with the same id keeps the user's draft.
        if (CourseId != loadedCourseId)
        {
            loadedCourseId = CourseId;
            await LoadAsync();
        }
    }

    private async Task LoadAsync()
    {
        loading = true;
        loadProblem = null;
        try
        {
            Show(await Api.Courses.GetCourseAsync(new GetCourseRequest { CourseId = CourseId }, cancellationToken: closing.Token), resetDraft: true);
        }
        catch (RpcException) when (closing.IsCancellationRequested)
        {
            // The page was left mid-call: nothing to show, and no toast on the next page.
        }
        catch (RpcException e)
        {
            loadProblem = RpcProblem.From(e);
        }
        finally
        {
            loading = false;
        }
    }

    private async Task ReloadAsync()
    {
        await LoadAsync();
        if (loadProblem is null)
        {
            Snackbar.Add(L["Reload"], Severity.Info);
        }
    }

    /// <summary>
    /// Shows the course as the server returned it. The draft's version only follows our own chapter changes (one
    /// version step): when someone else changed the course meanwhile, saving the draft must still be refused as stale.
    /// </summary>
    private void Show(Course loaded, bool resetDraft)
    {
        if (resetDraft)
        {
            title = loaded.Title;
            description = loaded.Description;
            editedVersion = loaded.Version;
            stale = false;
            courseProblem = null;
        }
        else if (course is not null && loaded.Version == course.Version + 1 && course.Version == editedVersion)
        {
            editedVersion = loaded.Version;
        }
        course = loaded;
    }

    private async Task SaveAsync()
    {
        if (saving || course is null)
        {
            return;
        }
        saving = true;
        courseProblem = null;
        try
        {
            var saved = await Api.Courses.UpdateCourseAsync(new UpdateCourseRequest
            {
                CourseId = course.Id,
                Title = title ?? "",
                Description = description ?? "",
                ExpectedVersion = editedVersion,
            }, cancellationToken: closing.Token);
            Show(saved, resetDraft: true);
            Snackbar.Add(L["CourseSaved"], Severity.Success);
        }
        catch (RpcException) when (closing.IsCancellationRequested)
        {
            // The page was left mid-call: nothing to show, and no toast on the next page.
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Aborted)
        {
            stale = true;
            Snackbar.Add(L["StaleReload"], Severity.Warning);
        }
        catch (RpcException e)
        {
            courseProblem = RpcProblem.From(e);
            if (courseProblem.Unplaced("title", "description") is { } toast)
            {
                Snackbar.Add(toast, Severity.Error);
            }
        }
        finally
        {
            saving = false;
        }
    }

    private Task AddChapterAsync() => ChangeChaptersAsync(
        () => Api.Courses.AddChapterAsync(
            new AddChapterRequest { CourseId = CourseId, Title = newChapterTitle ?? "", Position = newChapterPosition ?? 0 }, cancellationToken: closing.Token).ResponseAsync,
        L["ChapterAdded"],
        onDone: () =>
        {
            newChapterTitle = "";
            newChapterPosition = null;
        });

    private void StartRename(Chapter chapter)
    {
        renamingId = chapter.Id;
        renameTitle = chapter.Title;
        renameProblem = null;
    }

    private void CancelRename()
    {
        renamingId = null;
        renameProblem = null;
    }

    private async Task RenameAsync(Chapter chapter)
    {
        if (chapterBusy)
        {
            return;
        }
        chapterBusy = true;
        renameProblem = null;
        try
        {
            var changed = await Api.Courses.RenameChapterAsync(
                new RenameChapterRequest { CourseId = CourseId, ChapterId = chapter.Id, Title = renameTitle ?? "" }, cancellationToken: closing.Token);
            Show(changed, resetDraft: false);
            renamingId = null;
            Snackbar.Add(L["ChapterRenamed"], Severity.Success);
        }
        catch (RpcException) when (closing.IsCancellationRequested)
        {
            // The page was left mid-call: nothing to show, and no toast on the next page.
        }
        catch (RpcException e)
        {
            renameProblem = RpcProblem.From(e);
            if (renameProblem.Unplaced("title") is { } toast)
            {
                Snackbar.Add(toast, Severity.Error);
            }
        }
        finally
        {
            chapterBusy = false;
        }
    }

    /// <summary>Swaps the chapter with its neighbour and sends the whole new order.</summary>
    private Task MoveAsync(Chapter chapter, int step)
    {
        var order = OrderedChapters.Select(c => c.Id).ToList();
        var from = order.IndexOf(chapter.Id);
        var to = from + step;
        if (from < 0 || to < 0 || to >= order.Count)
        {
            return Task.CompletedTask;
        }
        (order[from], order[to]) = (order[to], order[from]);
        return ChangeChaptersAsync(
            () => Api.Courses.ReorderChaptersAsync(new ReorderChaptersRequest { CourseId = CourseId, ChapterIds = { order } }, cancellationToken: closing.Token).ResponseAsync,
            L["ChaptersReordered"]);
    }

    private async Task RemoveAsync(Chapter chapter)
    {
        var confirmed = await ConfirmDialog.AskAsync(Dialogs, L["ConfirmTitle"],
            string.Format(CultureInfo.CurrentCulture, L["RemoveChapterConfirm"], chapter.Title), L["Remove"], destructive: true);
        if (!confirmed)
        {
            return;
        }
        await ChangeChaptersAsync(
            () => Api.Courses.RemoveChapterAsync(new RemoveChapterRequest { CourseId = CourseId, ChapterId = chapter.Id }, cancellationToken: closing.Token).ResponseAsync,
            L["ChapterRemoved"]);
    }

    /// <summary>One chapter change at a time, with progress, a snackbar for the outcome and the server's refusal kept on screen.</summary>
    private async Task ChangeChaptersAsync(Func<Task<Course>> change, string doneMessage, Action? onDone = null)
    {
        if (chapterBusy)
        {
            return;
        }
        chapterBusy = true;
        chapterProblem = null;
        try
        {
            Show(await change(), resetDraft: false);
            onDone?.Invoke();
            Snackbar.Add(doneMessage, Severity.Success);
        }
        catch (RpcException) when (closing.IsCancellationRequested)
        {
            // The page was left mid-call: nothing to show, and no toast on the next page.
        }
        catch (RpcException e)
        {
            chapterProblem = RpcProblem.From(e);
            if (chapterProblem.Unplaced("title", "position") is { } toast)
            {
                Snackbar.Add(toast, Severity.Error);
            }
        }
        finally
        {
            chapterBusy = false;
        }
    }

    public void Dispose()
    {
        closing.Cancel();
        closing.Dispose();
    }
}
