using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using LearnHub.Admin.Components.Broadcasts;
using LearnHub.Admin.Services;
using LearnHub.Api.V1;
using LearnHub.Core.Broadcasts;
using LearnHub.Core.Common;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;

namespace LearnHub.Admin.Components.Pages.Broadcasts;

/// <summary>
/// 群发: compose a text or image message for one's followers. The server decides everything (certified, quota,
/// limits, agreement); the page shows its quota and refusals and checks the obvious limits first so the user sees them
/// while typing. One request id per opening of the composer, so a double click or a retry never submits twice.
/// </summary>
public partial class Composer
{
    private readonly DialogOptions successOptions = new() { MaxWidth = MaxWidth.ExtraSmall, FullWidth = true, BackdropClick = false, CloseOnEscapeKey = false };

    private BroadcastQuota? quota;
    private TimeZoneInfo? zone;
    private bool loading = true;
    private string? loadError;

    private BroadcastKind kind = BroadcastKind.Text;
    private string? text;
    private byte[]? image;
    private string? imageName;
    private string? imagePreview;
    private string? imageProblem;
    private bool readingImage;
    private bool agreed;

    private string requestId = BroadcastText.NewRequestId();
    private bool submitting;
    private RpcProblem? problem;
    private string? submitError;
    private Broadcast? submitted;

    private int TextLength => BroadcastText.Count(text);

    /// <summary>The server's own rule on the text: characters, bytes, stacked marks, control characters, blank.</summary>
    private TextInspection TextCheck => BroadcastRules.Text.Inspect(text);

    /// <summary>Past the character or the byte bound: the counter turns red.</summary>
    private bool TextTooLong => TextCheck.Problem is TextProblem.TooManyCharacters or TextProblem.TooManyBytes;

    /// <summary>Why the composer cannot be used now (暂无权限 / 本周群发次数不足~), or null.</summary>
    private string? DisabledReason =>
        quota is null ? null
        : !quota.Certified ? S["NoPermission"].Value
        : quota.Remaining <= 0 ? S["QuotaExhausted"].Value
        : null;

    private string? TextError =>
        problem?.For("text")
        ?? (string.IsNullOrEmpty(text)
            ? null
            : BroadcastText.Problem(S, BroadcastRules.Text, TextCheck, string.Format(CultureInfo.CurrentCulture, S["TextTooLong"], BroadcastText.MaxTextLength, TextLength)));

    private string? ImageError => problem?.For("image") ?? imageProblem;

    private string? AgreementError => problem?.For("agreed_to_agreement") ?? problem?.For("agreement_version");

    private bool ContentReady => kind == BroadcastKind.Text
        ? TextCheck.Accepted
        : image is not null && imageProblem is null && !readingImage;

    /// <summary>Why 群发 is greyed out, said next to it: the first thing still missing (null when it can be pressed).</summary>
    private string? SubmitBlockedBy =>
        quota is null || DisabledReason is not null ? null
        : !ContentReady ? (kind == BroadcastKind.Text ? S["NeedText"].Value : S["NeedImage"].Value)
        : !agreed ? S["NeedAgreement"].Value
        : null;

    private bool CanSubmit => quota is not null && DisabledReason is null && agreed && ContentReady;

    protected override async Task OnInitializedAsync()
    {
        zone = await Clock.ZoneAsync();
        await LoadQuotaAsync();
    }

    private async Task LoadQuotaAsync()
    {
        loading = true;
        loadError = null;
        try
        {
            quota = await Api.Broadcasts.GetQuotaAsync(new GetQuotaRequest());
        }
        catch (RpcException e)
        {
            loadError = RpcProblem.From(e).Message;
        }
        finally
        {
            loading = false;
        }
    }

    private string Format(Timestamp? instant) => instant is null ? "—" : Clock.Format(instant.ToDateTimeOffset());

    private void SetKind(BroadcastKind next)
    {
        kind = next;
        ClearProblem();
    }

    private void TextChanged(string? value)
    {
        text = value;
        ClearProblem();
    }

    private void AgreedChanged(bool value)
    {
        agreed = value;
        ClearProblem();
    }

    private void ClearProblem()
    {
        problem = null;
        submitError = null;
    }

    private async Task ImageChosenAsync(InputFileChangeEventArgs e)
    {
        ClearProblem();
        image = null;
        imagePreview = null;
        imageProblem = null;
        var file = e.File;
        imageName = file.Name;
        if (file.Size > BroadcastText.MaxImageBytes)
        {
            imageProblem = string.Format(CultureInfo.CurrentCulture, S["ImageTooLarge"], FormatBytes(file.Size));
            return;
        }
        readingImage = true;
        try
        {
            using var buffer = new MemoryStream((int)file.Size);
            await using (var stream = file.OpenReadStream(BroadcastText.MaxImageBytes))
            {
                await stream.CopyToAsync(buffer);
            }
            var bytes = buffer.ToArray();
            if (BroadcastText.SniffImageType(bytes) is not { } contentType)
            {
                imageProblem = S["ImageWrongType"];
                return;
            }
            image = bytes;
            imagePreview = BroadcastText.DataUrl(contentType, bytes);
        }
        catch (IOException ex)
        {
            imageProblem = string.Format(CultureInfo.CurrentCulture, S["ImageReadFailed"], ex.Message);
        }
        finally
        {
            readingImage = false;
        }
    }

    private async Task SubmitAsync()
    {
        if (submitting || !CanSubmit)
        {
            return;
        }
        submitting = true;
        ClearProblem();
        try
        {
            submitted = await Api.Broadcasts.SubmitBroadcastAsync(new SubmitBroadcastRequest
            {
                RequestId = requestId,
                Kind = kind,
                Text = kind == BroadcastKind.Text ? text ?? string.Empty : string.Empty,
                Image = kind == BroadcastKind.Image && image is not null ? ByteString.CopyFrom(image) : ByteString.Empty,
                AgreedToAgreement = agreed,
                AgreementVersion = quota!.AgreementVersion,
            });
        }
        catch (RpcException e)
        {
            problem = RpcProblem.From(e);
            var reason = BroadcastText.ReasonOf(e);
            // Errors of the text, image and agreement show at those inputs; only what is left goes to the alert and toast.
            submitError = reason == BroadcastText.RequestIdReused
                ? S["RequestIdReused"].Value
                : problem.Unplaced("text", "image", "agreed_to_agreement", "agreement_version");
            if (BroadcastText.IsDefinitiveRefusal(e.StatusCode))
            {
                // The server created nothing for this id, so the next attempt (likely with changed content) gets its own;
                // after a timeout the outcome is unknown and a retry keeps the id, so it can never count twice.
                requestId = BroadcastText.NewRequestId();
            }
            if (e.StatusCode is StatusCode.FailedPrecondition or StatusCode.PermissionDenied)
            {
                // Quota or certification changed under us: show the server's current view.
                await RefreshQuotaQuietlyAsync();
            }
            if (submitError is not null)
            {
                Snackbar.Add(submitError, Severity.Error);
            }
        }
        finally
        {
            submitting = false;
        }
    }

    private async Task RefreshQuotaQuietlyAsync()
    {
        try
        {
            quota = await Api.Broadcasts.GetQuotaAsync(new GetQuotaRequest());
        }
        catch (RpcException)
        {
            // Keep the quota we had; the refusal is already on screen.
        }
    }

    private void Acknowledge() => Navigation.NavigateTo("broadcasts");

    private static string FormatBytes(long bytes) =>
        bytes >= 1024 * 1024
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024d / 1024d:0.0} MB")
            : string.Create(CultureInfo.InvariantCulture, $"{Math.Max(1, bytes / 1024)} KB");
}
