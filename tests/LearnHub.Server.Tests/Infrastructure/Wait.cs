namespace LearnHub.Server.Tests.Infrastructure;

/// <summary>Awaiting with a deadline instead of sleeping: poll a condition until it holds or the deadline passes.</summary>
public static class Wait
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(15);

    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? deadline = null, string? what = null)
    {
        using var cts = new CancellationTokenSource(deadline ?? DefaultDeadline);
        T last = await probe();
        while (!done(last))
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(25), cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Timed out waiting for {what ?? "condition"}; last value: {last}");
            }
            last = await probe();
        }
        return last;
    }

    public static async Task<T> DefaultTimeout<T>(this Task<T> task, TimeSpan? deadline = null) =>
        await task.WaitAsync(deadline ?? DefaultDeadline);

    public static async Task DefaultTimeout(this Task task, TimeSpan? deadline = null) =>
        await task.WaitAsync(deadline ?? DefaultDeadline);
}
