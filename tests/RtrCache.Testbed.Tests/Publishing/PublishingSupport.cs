using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Xml;
using System.Xml.Linq;
using RtrCache.Testbed.Publishing;

namespace RtrCache.Testbed.Tests.Publishing;

/// <summary>Independent checks used by the harness tests: a plain client trusting only the test CA, a strict XML reader, a real rsync client.</summary>
internal static class PublishingSupport
{
    public static readonly XNamespace Rrdp = RrdpPublisher.Namespace;

    /// <summary>An HttpClient that trusts exactly the server's test CA (no system roots), as a fetcher given <c>--extra-ca</c> would.</summary>
    public static HttpClient Client(RrdpTestServer server, TimeSpan? timeout = null, bool autoRedirect = true, DecompressionMethods decompression = DecompressionMethods.None)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = autoRedirect,
            AutomaticDecompression = decompression,
            ConnectTimeout = TimeSpan.FromSeconds(5),
        };
        var ca = server.CaCertificate;
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, chain, errors) => TestTlsCertificates.ValidateAgainst(ca, cert, chain, errors);
        var client = new HttpClient(handler) { Timeout = timeout ?? TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("RtrCache-harness-test/1.0");
        return client;
    }

    /// <summary>Parses RRDP XML the way a careful client must: no DTD, no resolver.</summary>
    public static XDocument ParseStrict(byte[] bytes)
    {
        using var reader = XmlReader.Create(new MemoryStream(bytes), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
        return XDocument.Load(reader);
    }

    public static string Sha256Hex(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    /// <summary>rsync URI → bytes of every file below a tree root (<c>HOST/MODULE/...</c>).</summary>
    public static Dictionary<string, byte[]> TreeFiles(string treeRoot)
        => Directory.EnumerateFiles(treeRoot, "*", SearchOption.AllDirectories)
            .ToDictionary(f => "rsync://" + Path.GetRelativePath(treeRoot, f).Replace('\\', '/'), File.ReadAllBytes, StringComparer.Ordinal);

    /// <summary>Relative path → bytes of every file below a directory.</summary>
    public static Dictionary<string, byte[]> DirectoryFiles(string dir)
        => Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(dir, f).Replace('\\', '/'), File.ReadAllBytes, StringComparer.Ordinal);

    /// <summary>Copies a directory tree (a private copy of a cached tree the test may change).</summary>
    public static void CopyTree(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }

    /// <summary>Runs a real rsync client (<c>rsync -r SOURCE DEST</c>), bounded by <paramref name="timeout"/>; killed by PID when it overruns.</summary>
    public static (int ExitCode, string Output) RunRsync(string source, string destination, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(RsyncDaemon.ExecutablePath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-r", "--timeout=20", "--contimeout=10", source, destination }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit((int)timeout.TotalMilliseconds))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(5000);
            return (-1, "timed out");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    public static string NewWorkDir(string name) => TinyRepository.NewWorkDir("publishing-" + name);
}
