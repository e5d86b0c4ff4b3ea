using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using RtrCache.Payload;

namespace RtrCache.Testbed;

/// <summary>What one rpki-client run produced.</summary>
public sealed class RpkiClientResult
{
    public required string CommandLine { get; init; }
    public required int ExitCode { get; init; }
    public required bool TimedOut { get; init; }
    public required string Log { get; init; }
    public required TimeSpan Elapsed { get; init; }
    /// <summary>VRPs and router keys from <c>OUTDIR/json</c> (ASPAs are left out: 8.2 writes an older layout).</summary>
    public PayloadSet? Payload { get; init; }
    /// <summary>The <c>metadata</c> counters of the JSON output (roas, failedroas, manifests, ...).</summary>
    public IReadOnlyDictionary<string, long> Counters { get; init; } = new Dictionary<string, long>();
    public string? JsonPath { get; init; }
    public long Counter(string name) => Counters.TryGetValue(name, out var v) ? v : 0;
}

/// <summary>
/// Runs Debian's rpki-client (8.2) in offline mode on a generated repository.
/// </summary>
/// <remarks>
/// <para>Layout rpki-client 8.2 expects with <c>-n</c> (repo.c): the cache directory holds the "valid" tree as
/// <c>CACHEDIR/HOST/MODULE/path</c> (the rsync URI without <c>rsync://</c>, looked up by the caRepository of
/// each CA: rsync repositories are keyed by <c>rsync://HOST/MODULE</c>), and the TA certificate of a TAL named
/// <c>NAME.tal</c> at <c>CACHEDIR/ta/NAME/FILE</c>, where FILE is the last path segment of the TAL's first URI.
/// Nothing is fetched; the TAL itself is read from its given path.</para>
/// <para>Command: <c>rpki-client -n -j -v [-t TAL]... -d CACHEDIR OUTDIR</c>; <c>-j</c> writes <c>OUTDIR/json</c>
/// (keys <c>metadata</c>, <c>roas</c>, <c>bgpsec_keys</c>, and in 8.2 <c>provider_authorizations</c> with
/// per-AFI lists). Run as root it drops privileges to <c>_rpki-client</c>, so both directories are given to
/// that user. At the end it deletes cache files it did not use, which is why it gets a copy of the tree.</para>
/// </remarks>
public static class RpkiClient
{
    public const string DefaultPath = "/usr/sbin/rpki-client";
    public const string User = "_rpki-client";

    public static string ExecutablePath => Environment.GetEnvironmentVariable("RPKI_CLIENT") is { Length: > 0 } p ? p : DefaultPath;

    public static bool IsAvailable => File.Exists(ExecutablePath);

    /// <summary>The version line (<c>rpki-client -V</c>), e.g. <c>rpki-client-portable 8.2</c>; null when not installed.</summary>
    public static string? Version()
    {
        if (!IsAvailable) return null;
        var r = RunProcess(ExecutablePath, ["-V"], TimeSpan.FromSeconds(10));
        return (r.Stdout + r.Stderr).Trim();
    }

    /// <summary>
    /// Lays out <paramref name="repo"/> for <c>rpki-client -n</c> under <paramref name="workDir"/>: <c>cache/</c>
    /// (a copy of the tree plus <c>ta/NAME/ta.cer</c>), <c>out/</c> and <c>tals/</c>. Returns the cache directory.
    /// </summary>
    public static string WriteNoSyncLayout(Repository repo, string workDir)
    {
        if (repo.OutputDirectory is null) throw new InvalidOperationException("write the repository first");
        var cache = Path.Combine(workDir, "cache");
        if (Directory.Exists(workDir)) Directory.Delete(workDir, true);
        Directory.CreateDirectory(cache);
        Directory.CreateDirectory(Path.Combine(workDir, "out"));
        var tals = Path.Combine(workDir, "tals");
        Directory.CreateDirectory(tals);
        CopyTree(repo.TreeRoot, cache);
        for (int i = 0; i < repo.TrustAnchors.Count; i++)
        {
            var ta = repo.TrustAnchors[i];
            var name = repo.TalNames[i];
            var taDir = Path.Combine(cache, "ta", name);
            Directory.CreateDirectory(taDir);
            var src = Renderer.LocalPath(repo.TreeRoot, ta.CertUri);
            if (File.Exists(src)) File.Copy(src, Path.Combine(taDir, ta.CertFileName));
            File.Copy(Path.Combine(repo.TalDirectory, name + ".tal"), Path.Combine(tals, name + ".tal"));
        }
        return cache;
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }

    /// <summary>
    /// Lays out <paramref name="repo"/> in <paramref name="workDir"/> and runs
    /// <c>rpki-client -n -j -v -t TAL... -d workDir/cache workDir/out</c>, killing it after <paramref name="timeout"/>.
    /// </summary>
    public static RpkiClientResult Run(Repository repo, string workDir, TimeSpan timeout)
    {
        var cache = WriteNoSyncLayout(repo, workDir);
        var output = Path.Combine(workDir, "out");
        var args = new List<string> { "-n", "-j", "-v" };
        foreach (var name in repo.TalNames) { args.Add("-t"); args.Add(Path.Combine(workDir, "tals", name + ".tal")); }
        args.Add("-d"); args.Add(cache);
        args.Add(output);
        GiveToRpkiClientUser(workDir);
        var sw = Stopwatch.StartNew();
        var r = RunProcess(ExecutablePath, args, timeout, workDir);
        var json = Path.Combine(output, "json");
        PayloadSet? payload = null;
        var counters = new Dictionary<string, long>();
        if (File.Exists(json)) payload = ParseJson(File.ReadAllBytes(json), counters);
        return new RpkiClientResult
        {
            CommandLine = ExecutablePath + " " + string.Join(" ", args),
            ExitCode = r.ExitCode,
            TimedOut = r.TimedOut,
            Log = r.Stdout + r.Stderr,
            Elapsed = sw.Elapsed,
            Payload = payload,
            Counters = counters,
            JsonPath = File.Exists(json) ? json : null,
        };
    }

    /// <summary>When running as root, hands <paramref name="dir"/> to <c>_rpki-client</c> (it drops privileges to that user).</summary>
    public static void GiveToRpkiClientUser(string dir)
    {
        if (!Environment.IsPrivilegedProcess || OperatingSystem.IsWindows()) return;
        var r = RunProcess("chown", ["-R", User + ":", dir], TimeSpan.FromSeconds(60));
        if (r.ExitCode != 0) throw new InvalidOperationException($"chown {dir} failed: {r.Stderr}");
        // rpki-client must be able to reach the directory: open up the parents' search bit
        var parent = Path.GetDirectoryName(Path.GetFullPath(dir));
        while (parent is not null && parent != "/")
        {
            try
            {
                var mode = File.GetUnixFileMode(parent);
                if ((mode & UnixFileMode.OtherExecute) == 0) File.SetUnixFileMode(parent, mode | UnixFileMode.OtherExecute);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            parent = Path.GetDirectoryName(parent);
        }
    }

    /// <summary>Reads rpki-client's JSON: <c>roas</c> and <c>bgpsec_keys</c> into a payload set, <c>metadata</c> numbers into <paramref name="counters"/>.</summary>
    public static PayloadSet ParseJson(byte[] json, Dictionary<string, long>? counters = null)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var b = new PayloadSetBuilder();
        if (root.TryGetProperty("metadata", out var meta) && counters is not null)
            foreach (var p in meta.EnumerateObject())
                if (p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt64(out var n)) counters[p.Name] = n;
                else if (p.Value.ValueKind == JsonValueKind.String && long.TryParse(p.Value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s)) counters[p.Name] = s;
        if (root.TryGetProperty("roas", out var roas))
            foreach (var r in roas.EnumerateArray())
            {
                uint asn = ReadAsn(r.GetProperty("asn"));
                var prefix = r.GetProperty("prefix").GetString()!;
                int maxLength = r.GetProperty("maxLength").GetInt32();
                if (!Vrp.TryCreate(prefix, maxLength, asn, out var vrp, out var error))
                    throw new FormatException($"rpki-client JSON: bad ROA entry {r}: {error}");
                b.Add(vrp);
            }
        if (root.TryGetProperty("bgpsec_keys", out var keys))
            foreach (var k in keys.EnumerateArray())
            {
                uint asn = ReadAsn(k.GetProperty("asn"));
                var ski = Convert.FromHexString(k.GetProperty("ski").GetString()!);
                var spki = Convert.FromBase64String(k.GetProperty("pubkey").GetString()!);
                b.Add(RouterKey.Create(ski, asn, spki));
            }
        return b.Build();
    }

    private static uint ReadAsn(JsonElement e)
        => e.ValueKind == JsonValueKind.Number ? e.GetUInt32() : uint.Parse(e.GetString()!.TrimStart('A', 'S', 'a', 's'), CultureInfo.InvariantCulture);

    internal sealed record ProcessResult(int ExitCode, bool TimedOut, string Stdout, string Stderr);

    internal static ProcessResult RunProcess(string file, IEnumerable<string> args, TimeSpan timeout, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        p.StandardInput.Close();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        bool timedOut = false;
        if (!p.WaitForExit(timeout))
        {
            timedOut = true;
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            p.WaitForExit(TimeSpan.FromSeconds(10));
        }
        else p.WaitForExit(); // drain the async readers
        int code = p.HasExited ? p.ExitCode : -1;
        lock (stdout) lock (stderr) return new ProcessResult(code, timedOut, stdout.ToString(), stderr.ToString());
    }
}
