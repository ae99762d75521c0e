namespace LearnHub.Admin.Services;

public sealed class AdminOptions
{
    public const string Section = "Admin";

    /// <summary>The host's own HTTP/2 gRPC endpoint, which the admin calls as any client does.</summary>
    public string GrpcAddress { get; set; } = "http://127.0.0.1:5080";

    /// <summary>The host's own HTTP/1 endpoint, where the live dashboard hub listens (LiveHub.Path).</summary>
    public string WebAddress { get; set; } = "http://127.0.0.1:5081";
}
