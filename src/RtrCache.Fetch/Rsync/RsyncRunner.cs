using System.Collections.Immutable;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using RtrCache.Fetch.Uris;

namespace RtrCache.Fetch.Rsync;

/// <summary>
/// Runs the system rsync for one module or one file, the way rpki-client does: no shell, a fixed argument list in
/// which the only variable parts are a URI that passed <see cref="RsyncUri"/> (it starts with <c>rsync://</c>, so it
/// can never be read as an option) and paths we made. Only RPKI object files are transferred, symbolic links and
/// special files are skipped (no <c>-l</c>/<c>-L</c>/<c>-D</c>), dot-files are excluded, sizes are bounded, and a
/// process that outlives the deadline is killed with its children.
/// </summary>
public sealed class RsyncRunner(FetchOptions options)
{
    /// <summary>The object types the validator knows (RFC 6481 and later registrations).</summary>
    public static readonly ImmutableArray<string> Extensions = ["cer", "crl", "mft", "roa", "asa", "gbr", "tak", "spl", "sig"];

    /// <summary>The arguments for mirroring the whole module <paramref name="module"/> into <paramref name="destination"/>.</summary>
    public IReadOnlyList<string> ModuleArguments(RsyncUri module, string destination, string? linkDest)
    {
        var args = CommonArguments();
        args.Insert(0, "-rt");
        args.Add("--delete");
        args.Add("--exclude=.*");
        args.Add("--include=*/");
        foreach (var ext in Extensions) args.Add("--include=*." + ext);
        args.Add("--exclude=*");
        if (linkDest is not null) args.Add("--link-dest=" + Path.GetFullPath(linkDest));
        args.Add("--");
        args.Add(module.ModuleUri);
        args.Add(Path.GetFullPath(destination) + "/");
        return args;
    }

    /// <summary>The arguments for copying the single file <paramref name="file"/> into <paramref name="destinationDirectory"/>.</summary>
    public IReadOnlyList<string> FileArguments(RsyncUri file, string destinationDirectory)
    {
        var args = CommonArguments();
        args.Insert(0, "-t");
        args.Add("--");
        args.Add(file.Text);
        args.Add(Path.GetFullPath(destinationDirectory) + "/");
        return args;
    }

    // --modify-window=-1: rsync's quick check compares mtimes in whole seconds by default, so a file that a
    // publication server rewrites with the same size within the same second (a re-issued CRL or manifest) would
    // be skipped and the copy would fail its manifest hash. A negative window makes the receiver (rsync >= 3.1.3)
    // compare nanoseconds too; a sender that does not send them just compares as before.
    private List<string> CommonArguments() =>
    [
        "--no-motd",
        "--modify-window=-1",
        "--stats",
        "--contimeout=" + Seconds(options.ConnectTimeout),
        "--timeout=" + Seconds(options.RsyncIoTimeout),
        "--max-size=" + options.MaxObjectBytes.ToString(CultureInfo.InvariantCulture),
        "--min-size=" + options.RsyncMinObjectBytes.ToString(CultureInfo.InvariantCulture),
    ];

    private static string Seconds(TimeSpan t) => Math.Max(1, (long)Math.Ceiling(t.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>Mirrors a module into <paramref name="destination"/> (created if needed), hard-linking unchanged files from <paramref name="linkDest"/>.</summary>
    public Task<RsyncResult> SyncModuleAsync(RsyncUri module, string destination, string? linkDest, CancellationToken ct)
    {
        Directory.CreateDirectory(destination);
        return RunAsync(ModuleArguments(module, destination, linkDest is not null && Directory.Exists(linkDest) ? linkDest : null), ct);
    }

    /// <summary>Copies one file into <paramref name="destinationDirectory"/>.</summary>
    public Task<RsyncResult> FetchFileAsync(RsyncUri file, string destinationDirectory, CancellationToken ct)
    {
        Directory.CreateDirectory(destinationDirectory);
        return RunAsync(FileArguments(file, destinationDirectory), ct);
    }

    /// <summary>Runs rsync with <paramref name="arguments"/>; kills the process tree when <paramref name="ct"/> fires (then throws).</summary>
    public async Task<RsyncResult> RunAsync(IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(options.RsyncPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        // A program named by the environment must not run in place of the network connection.
        psi.Environment.Remove("RSYNC_CONNECT_PROG");
        psi.Environment.Remove("RSYNC_RSH");
        using var process = new Process { StartInfo = psi };
        try
        {
            if (!process.Start()) return new RsyncResult($"{options.RsyncPath} did not start", 0, -1);
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException)
        {
            return new RsyncResult($"cannot run {options.RsyncPath}: {e.Message}", 0, -1);
        }
        process.StandardInput.Close();
        var stdout = ReadTailAsync(process.StandardOutput, 16 * 1024);
        var stderr = ReadTailAsync(process.StandardError, 4 * 1024);
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            throw;
        }
        string output = await stdout.ConfigureAwait(false);
        string errors = (await stderr.ConfigureAwait(false)).Trim();
        long bytes = RsyncStats.BytesReceived(output);
        if (process.ExitCode == 0) return new RsyncResult(null, bytes, RsyncStats.FilesTransferred(output));
        string detail = errors.Length == 0 ? "" : ": " + string.Join(" | ", errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(6));
        return new RsyncResult($"rsync exited with code {process.ExitCode}{detail}", bytes, -1);
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException) { }
    }

    /// <summary>Reads a stream to its end keeping only the last <paramref name="keep"/> characters (rsync can be chatty).</summary>
    private static async Task<string> ReadTailAsync(StreamReader reader, int keep)
    {
        var tail = new StringBuilder();
        var buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            tail.Append(buffer, 0, n);
            if (tail.Length > 2 * keep) tail.Remove(0, tail.Length - keep);
        }
        if (tail.Length > keep) tail.Remove(0, tail.Length - keep);
        return tail.ToString();
    }
}
