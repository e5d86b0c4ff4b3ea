using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using RtrCache.Testing;

namespace RtrCache.Host.Tests;

/// <summary>
/// <c>--log-format json</c> on the real program: every stdout line is one JSON object with the message and
/// its structured values, and talking RTR does not log a line per PDU at the default level (only the session's
/// start and end).
/// </summary>
public sealed class LogFormatTests
{
    private const string Json = """
        { "roas": [
            { "asn": 64496, "prefix": "192.0.2.0/24", "maxLength": 24, "ta": "test" },
            { "asn": 64497, "prefix": "198.51.100.0/24", "maxLength": 24, "ta": "test" },
            { "asn": 64496, "prefix": "2001:db8::/32", "maxLength": 48, "ta": "test" } ] }
        """;

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Test]
    public async Task Json_log_lines_carry_structured_values_and_no_line_per_PDU()
    {
        string dir = Path.Combine(Path.GetTempPath(), "rtrcache-host-tests", "log-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string json = Path.Combine(dir, "rpki.json");
        File.WriteAllText(json, Json);
        int rtr = FreePort(), http = FreePort();
        var psi = new ProcessStartInfo(Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "rtrcache.dll"), "serve", "--json", json, "--cache-dir", Path.Combine(dir, "cache"),
                     "--rtr-listen", $"127.0.0.1:{rtr}", "--http-listen", $"127.0.0.1:{http}", "--log-format", "json",
                 })
            psi.ArgumentList.Add(a);

        var lines = new List<string>();
        var published = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (lines) lines.Add(e.Data);
            if (e.Data.Contains("Published serial", StringComparison.Ordinal)) published.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add("stderr: " + e.Data); };
        Assert.That(process.Start(), Is.True);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await published.Task.WaitAsync(TimeSpan.FromSeconds(30));
            int sessionLinesBefore = Count(lines, "RtrCache.Rtr");

            await using (var router = await RtrTestClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, rtr), 1))
            {
                router.Timeout = TimeSpan.FromSeconds(10);
                await router.ResetAsync();
                for (int i = 0; i < 5; i++) await router.SerialAsync();
                Assert.That(router.Model.Vrps, Has.Count.EqualTo(3));
            }
            // The session's end is logged once the server notices the close.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (Count(lines, "RtrCache.Rtr") < sessionLinesBefore + 2 && DateTime.UtcNow < deadline) await Task.Delay(50);
            await Task.Delay(300);

            string[] snapshot;
            lock (lines) snapshot = [.. lines];
            var records = new List<JsonElement>();
            foreach (var line in snapshot)
            {
                Assert.That(line, Does.Not.StartWith("stderr: "), "nothing on stderr");
                using var doc = JsonDocument.Parse(line); // throws: not one JSON object per line
                records.Add(doc.RootElement.Clone());
            }
            var publication = records.Single(r => r.GetProperty("Message").GetString()!.StartsWith("Published serial", StringComparison.Ordinal));
            Assert.Multiple(() =>
            {
                Assert.That(publication.GetProperty("LogLevel").GetString(), Is.EqualTo("Information"));
                Assert.That(publication.GetProperty("Category").GetString(), Is.EqualTo("RtrCache.Host.Serving.PayloadPipeline"));
                Assert.That(publication.GetProperty("State").GetProperty("Serial").GetString(), Is.EqualTo("1"));
                Assert.That(publication.GetProperty("Timestamp").GetString(), Does.Match(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"));
            });
            var rtrInfo = records.Where(r => r.GetProperty("Category").GetString()!.StartsWith("RtrCache.Rtr", StringComparison.Ordinal)
                                             && r.GetProperty("LogLevel").GetString() == "Information").ToList();
            Assert.That(rtrInfo.Select(r => r.GetProperty("Message").GetString()).ToList(), Has.Count.EqualTo(2)
                .And.Some.Contains("connected").And.Some.Contains("ended"),
                "six queries and their answers: one line when the session starts, one when it ends, none per PDU");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(exit.Token);
            try { Directory.Delete(dir, recursive: true); }
            catch (IOException) { }
        }
    }

    private static int Count(List<string> lines, string category)
    {
        lock (lines) return lines.Count(l => l.Contains($"\"Category\":\"{category}", StringComparison.Ordinal));
    }
}
