using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using RtrCache.Host.Serving;
using RtrCache.Payload;
using RtrCache.Rtr.Protocol;
using RtrCache.Testing;

namespace RtrCache.Server.Tests.Support;

/// <summary>
/// The real <c>rtrcache serve</c> host (<see cref="ServeHost.Build"/>) running in-process on 127.0.0.1 with
/// free ports, a temporary input directory, an HTTP client for the health/readiness/metrics endpoints and
/// RTR test clients that are disposed with it. Every wait is bounded.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    /// <summary>The End of Data timers every test server sends (not the defaults, so a test can tell).</summary>
    public static readonly RtrTimers TestTimers = new(300, 45, 1234);

    public static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(10);

    private readonly List<RtrTestClient> _clients = [];

    private TestServer(string directory, WebApplication app, ServeSettings settings, IPEndPoint rtr, HttpClient http)
    {
        Directory = directory;
        App = app;
        Settings = settings;
        Rtr = rtr;
        Http = http;
    }

    public string Directory { get; }
    public string JsonPath => Path.Combine(Directory, "rpki.json");
    public string SlurmPath => Path.Combine(Directory, "slurm.json");
    public WebApplication App { get; }
    public ServeSettings Settings { get; }
    public IPEndPoint Rtr { get; }
    public HttpClient Http { get; }

    /// <summary>
    /// Starts a server. <paramref name="initial"/> null leaves the input file missing. <paramref name="configure"/>
    /// adjusts the settings. Waits for /readyz when there is input.
    /// </summary>
    public static async Task<TestServer> StartAsync(TestPayload? initial, Func<ServeSettings, ServeSettings>? configure = null, string? slurm = null)
    {
        string dir = Path.Combine(Path.GetTempPath(), "rtrcache-server-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        if (initial is not null) File.WriteAllText(Path.Combine(dir, "rpki.json"), initial.ToJson());
        if (slurm is not null) File.WriteAllText(Path.Combine(dir, "slurm.json"), slurm);

        for (int attempt = 1; ; attempt++)
        {
            var rtr = new IPEndPoint(IPAddress.Loopback, FreePort());
            var httpEp = new IPEndPoint(IPAddress.Loopback, FreePort());
            var settings = new ServeSettings
            {
                JsonSource = Path.Combine(dir, "rpki.json"),
                SlurmFiles = slurm is null ? [] : [Path.Combine(dir, "slurm.json")],
                RtrListen = [rtr],
                HttpListen = [httpEp],
                Timers = TestTimers,
                NotifyInterval = TimeSpan.Zero,
                ReloadInterval = TimeSpan.FromMilliseconds(250),
                // Each server persists its state in its own directory (never the /var/lib default).
                CacheDirectory = Path.Combine(dir, "cache"),
                // Tests change small sets by large shares; shrink-guard tests turn the guard back on.
                AcceptShrink = true,
                // Rounds every 250 ms would make the default limit (500 ms) flaky on a busy machine.
                MaxStaleness = TimeSpan.FromMinutes(1),
            };
            if (configure is not null) settings = configure(settings);
            var app = ServeHost.Build(settings, ["--Logging:LogLevel:Default=Warning"]);
            try
            {
                using var startTimeout = new CancellationTokenSource(DefaultWait);
                await app.StartAsync(startTimeout.Token);
            }
            catch (IOException) when (attempt < 3)
            {
                // Another process took one of the free ports between the probe and the bind; try new ones.
                await app.DisposeAsync();
                continue;
            }
            var http = new HttpClient { BaseAddress = new Uri($"http://{httpEp}/"), Timeout = TimeSpan.FromSeconds(5) };
            var server = new TestServer(dir, app, settings, rtr, http);
            if (initial is not null) await server.WaitReadyAsync();
            return server;
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>An RTR client of <paramref name="version"/>, disposed with the server.</summary>
    public async Task<RtrTestClient> ConnectAsync(byte version, TimeSpan? timeout = null)
    {
        var client = await RtrTestClient.ConnectAsync(Rtr, version);
        client.Timeout = timeout ?? DefaultWait;
        lock (_clients) _clients.Add(client);
        return client;
    }

    /// <summary>A connected client that has done a full sync.</summary>
    public async Task<RtrTestClient> SyncedClientAsync(byte version)
    {
        var client = await ConnectAsync(version);
        var result = await client.ResetAsync();
        Assert.That(result.First.Type, Is.EqualTo(PduType.CacheResponse), $"v{version} Reset Query answered with {result.First}");
        return client;
    }

    // ------------------------------------------------------------------ input

    /// <summary>Replaces the input file in one step (write elsewhere, rename over), as a validator should.</summary>
    public void WriteJson(TestPayload payload) => WriteJsonText(payload.ToJson());

    public void WriteJsonText(string text) => ReplaceFile(JsonPath, text);

    public void WriteSlurm(string text) => ReplaceFile(SlurmPath, text);

    private void ReplaceFile(string path, string text)
    {
        string temp = Path.Combine(Directory, ".tmp-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }

    // ------------------------------------------------------------------ HTTP

    public async Task<(HttpStatusCode Status, string Body)> GetAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The serial /readyz reports, or null while not ready.</summary>
    public async Task<uint?> ReadySerialAsync()
    {
        var (status, body) = await GetAsync("readyz");
        if (status != HttpStatusCode.OK) return null;
        const string marker = "ready: serial ";
        int at = body.IndexOf(marker, StringComparison.Ordinal);
        Assert.That(at, Is.GreaterThanOrEqualTo(0), $"unexpected /readyz body: {body}");
        int start = at + marker.Length, end = start;
        while (end < body.Length && char.IsAsciiDigit(body[end])) end++;
        return uint.Parse(body.AsSpan(start, end - start), CultureInfo.InvariantCulture);
    }

    public async Task<uint> WaitReadyAsync()
    {
        uint? serial = null;
        await WaitUntilAsync(async () => (serial = await ReadySerialAsync()) is not null, "the server to become ready");
        return serial!.Value;
    }

    /// <summary>Waits until the published serial is <paramref name="serial"/>.</summary>
    public async Task WaitForSerialAsync(uint serial)
    {
        uint? seen = null;
        await WaitUntilAsync(async () => (seen = await ReadySerialAsync()) == serial, $"serial {serial} to be published (last seen {seen?.ToString(CultureInfo.InvariantCulture) ?? "none"})");
    }

    public async Task<string> MetricsAsync()
    {
        var (status, body) = await GetAsync("metrics");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), "/metrics");
        return body;
    }

    /// <summary>The value of one series, e.g. <c>rtrcache_input_rejections_total{kind="json"}</c>; null when absent.</summary>
    public static double? Metric(string metrics, string series)
    {
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
                return double.Parse(line.AsSpan(series.Length + 1).Trim(), CultureInfo.InvariantCulture);
        }
        return null;
    }

    public async Task<double> MetricAsync(string series) => Metric(await MetricsAsync(), series) ?? 0;

    /// <summary>Waits until the series has a value above <paramref name="than"/>, returns that value.</summary>
    public async Task<double> WaitForMetricAboveAsync(string series, double than)
    {
        double value = 0;
        await WaitUntilAsync(async () => (value = await MetricAsync(series)) > than, $"{series} to exceed {than}");
        return value;
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultWait);
        while (true)
        {
            if (await condition()) return;
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        RtrTestClient[] clients;
        lock (_clients) clients = [.. _clients];
        foreach (var c in clients)
        {
            try { await c.DisposeAsync(); }
            catch (Exception) { /* already broken by the test */ }
        }
        using (var stop = new CancellationTokenSource(DefaultWait))
        {
            try { await App.StopAsync(stop.Token); }
            catch (OperationCanceledException) { /* DisposeAsync still tears it down */ }
        }
        await App.DisposeAsync();
        Http.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>Starts servers for a test and stops them in TearDown.</summary>
public abstract class ServerTestBase
{
    private readonly List<TestServer> _servers = [];

    protected async Task<TestServer> StartServerAsync(TestPayload? initial, Func<ServeSettings, ServeSettings>? configure = null, string? slurm = null)
    {
        var server = await TestServer.StartAsync(initial, configure, slurm);
        _servers.Add(server);
        return server;
    }

    [TearDown]
    public async Task StopServersAsync()
    {
        foreach (var s in _servers) await s.DisposeAsync();
        _servers.Clear();
    }
}
