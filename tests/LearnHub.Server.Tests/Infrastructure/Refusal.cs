using Google.Rpc;
using Grpc.Core;

namespace LearnHub.Server.Tests.Infrastructure;

/// <summary>Asserts a refused call: its status code and a google.rpc.BadRequest field violation naming the field.</summary>
public static class Refusal
{
    public static async Task<RpcException> AssertAsync(StatusCode code, string field, Func<Task> call)
    {
        var refusal = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, refusal.StatusCode);
        var status = refusal.GetRpcStatus();
        Assert.NotNull(status);
        var badRequest = status.GetDetail<BadRequest>();
        Assert.NotNull(badRequest);
        Assert.Contains(badRequest.FieldViolations, v => v.Field == field);
        return refusal;
    }

    /// <summary>For bad-input theories: spoils one field of a prepared request and returns that field's name.</summary>
    public static string Spoil(string field, Action change)
    {
        ArgumentNullException.ThrowIfNull(change);
        change();
        return field;
    }
}
