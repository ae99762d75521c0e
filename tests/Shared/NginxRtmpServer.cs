using System.Net;
using System.Net.Sockets;

namespace LearnHub.Testing;

/// <summary>
/// A throwaway RTMP ingest for tests: Debian's nginx with libnginx-mod-rtmp, run as the current user in the foreground
/// (one process: <c>daemon off; master_process off;</c>) from a generated nginx.conf in a temporary folder, on free
/// loopback ports: RTMP for the publishers, HTTP serving the HLS folder under <c>/hls/</c>. Its publish callbacks go to
/// the URL given at start; an accepted stream (renamed to its session id by the callback's 302) is pushed to the local
/// application <c>hls</c>, which writes <c>{session id}.m3u8</c>. Disposing kills it and deletes the folder.
/// </summary>
public sealed class NginxRtmpServer : IAsyncDisposable
{
    public const string ModulePath = "/usr/lib/nginx/modules/ngx_rtmp_module.so";
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(15);

    private readonly string folder;
    private ChildProcess? process;

    private NginxRtmpServer(string folder, int rtmpPort, int httpPort)
    {
        this.folder = folder;
        RtmpPort = rtmpPort;
        HttpPort = httpPort;
    }

    public int RtmpPort { get; }

    public int HttpPort { get; }

    /// <summary>What an instructor enters in OBS as 服务器 (the application <c>live</c>).</summary>
    public string RtmpUrl => $"rtmp://127.0.0.1:{RtmpPort}/live";

    /// <summary>Where the HLS playlists are served: <c>{HlsBaseUrl}/{stream name}.m3u8</c>.</summary>
    public string HlsBaseUrl => $"http://127.0.0.1:{HttpPort}/hls";

    /// <summary>nginx's error log so far (callbacks, refusals), for failure messages.</summary>
    public string ErrorLog => File.Exists(Path.Combine(folder, "error.log")) ? ReadShared(Path.Combine(folder, "error.log")) : "";

    /// <summary>Picks the ports and the folder; nothing runs yet (the server under test needs <see cref="HlsBaseUrl"/> first).</summary>
    public static NginxRtmpServer Prepare()
    {
        var (rtmp, http) = LoopbackPorts.FreePair();
        return new NginxRtmpServer(Directory.CreateTempSubdirectory("learnhub-nginx-").FullName, rtmp, http);
    }

    /// <summary>Starts nginx with its callbacks at <paramref name="callbackBaseUrl"/> (e.g. http://127.0.0.1:5081) carrying <paramref name="secret"/>.</summary>
    public async Task StartAsync(string callbackBaseUrl, string secret)
    {
        if (!File.Exists(ModulePath))
        {
            throw new InvalidOperationException($"{ModulePath} is missing: apt-get install -y nginx libnginx-mod-rtmp (scripts/test.sh does).");
        }
        var hls = Path.Combine(folder, "hls");
        Directory.CreateDirectory(hls);
        Directory.CreateDirectory(Path.Combine(folder, "temp"));
        var callbacks = $"{callbackBaseUrl.TrimEnd('/')}/ingest/rtmp";
        var secretArgument = Uri.EscapeDataString(secret);
        var conf = $$"""
            load_module {{ModulePath}};
            daemon off;
            master_process off;
            worker_processes 1;
            error_log {{folder}}/error.log info;
            pid {{folder}}/nginx.pid;
            events { worker_connections 256; }
            rtmp {
                server {
                    listen 127.0.0.1:{{RtmpPort}};
                    chunk_size 4096;
                    application live {
                        live on;
                        record off;
                        deny play all;
                        notify_method post;
                        on_publish {{callbacks}}/on_publish?secret={{secretArgument}};
                        on_publish_done {{callbacks}}/on_publish_done?secret={{secretArgument}};
                        # The HLS module names its files before the callback's rename; the push carries the new name.
                        push rtmp://127.0.0.1:{{RtmpPort}}/hls;
                    }
                    application hls {
                        live on;
                        record off;
                        allow publish 127.0.0.1;
                        deny publish all;
                        deny play all;
                        hls on;
                        hls_path {{hls}};
                        hls_fragment 1s;
                        hls_playlist_length 4s;
                    }
                }
            }
            http {
                access_log off;
                client_body_temp_path {{folder}}/temp/body;
                proxy_temp_path {{folder}}/temp/proxy;
                fastcgi_temp_path {{folder}}/temp/fastcgi;
                uwsgi_temp_path {{folder}}/temp/uwsgi;
                scgi_temp_path {{folder}}/temp/scgi;
                types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; }
                server {
                    listen 127.0.0.1:{{HttpPort}};
                    location /hls/ {
                        alias {{hls}}/;
                        add_header Cache-Control no-cache;
                    }
                }
            }
            """;
        var confPath = Path.Combine(folder, "nginx.conf");
        await File.WriteAllTextAsync(confPath, conf);
        process = ChildProcess.Start(File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx", ["-p", folder, "-c", confPath, "-e", Path.Combine(folder, "error.log")], folder);
        using var deadline = new CancellationTokenSource(StartDeadline);
        while (!await AcceptsAsync(RtmpPort, deadline.Token) || !await AcceptsAsync(HttpPort, deadline.Token))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"nginx exited at start ({process.ExitCode}):\n{process.Output}\n{ErrorLog}");
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"nginx did not listen on {RtmpPort}/{HttpPort} within {StartDeadline}:\n{process.Output}\n{ErrorLog}");
            }
        }
    }

    /// <summary>
    /// Starts ffmpeg publishing a test picture and tone to <c>{RtmpUrl}/{key}</c> in real time (<c>-re</c>) until killed:
    /// one-second keyframes at 15 fps, as OBS with a 1 s keyframe interval would send.
    /// </summary>
    public ChildProcess Publish(string key) =>
        ChildProcess.Start(
            "ffmpeg",
            [
                "-hide_banner", "-loglevel", "warning", "-nostdin",
                "-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15",
                "-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
                "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "15", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", "64k",
                "-f", "flv", $"{RtmpUrl}/{key}",
            ],
            folder);

    private static async Task<bool> AcceptsAsync(int port, CancellationToken ct)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, ct);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public async ValueTask DisposeAsync()
    {
        if (process is not null)
        {
            await process.DisposeAsync();
        }
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // nginx may still be closing an HLS file; the OS temp folder is cleaned eventually.
        }
    }
}
