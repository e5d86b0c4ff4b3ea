using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RtrCache.Testbed.Publishing;
using static RtrCache.Testbed.Tests.Publishing.PublishingSupport;

namespace RtrCache.Testbed.Tests.Publishing;

/// <summary>The rsync daemon, checked with Debian's rsync client: it serves the tree byte for byte and stops by PID.</summary>
public class RsyncDaemonTests
{
    private string _work = null!;

    [SetUp]
    public void SetUp()
    {
        if (!RsyncDaemon.IsAvailable) Assert.Fail($"{RsyncDaemon.ExecutablePath} not installed (.ci/run installs Debian's rsync)");
        _work = NewWorkDir("rsyncd");
    }

    [TearDown]
    public void TearDown() => TinyRepository.TryDelete(_work);

    private static bool Accepts(int port)
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            s.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [Test]
    public void ServesTheTreeToARealRsyncClientAndStopsByPid()
    {
        var module = Path.Combine(TinyRepository.Good.TreeRoot, "rpki.testbed.test", "repo");
        using var daemon = RsyncDaemon.Start("repo", module);
        Assert.That(daemon.IsRunning);
        Assert.That(daemon.ModuleUri("repo"), Is.EqualTo($"rsync://127.0.0.1:{daemon.Port}/repo/"));
        Assert.That(File.ReadAllText(daemon.ConfigPath), Does.Contain("use chroot = no").And.Contain("read only = yes"));

        var dest = Path.Combine(_work, "dest");
        var (exit, output) = RunRsync(daemon.ModuleUri("repo"), dest, TimeSpan.FromSeconds(30));
        Assert.That(exit, Is.EqualTo(0), output + "\n" + daemon.Log());
        var got = DirectoryFiles(dest);
        var want = DirectoryFiles(module);
        Assert.That(got.Keys, Is.EquivalentTo(want.Keys));
        foreach (var (name, bytes) in want) Assert.That(got[name], Is.EqualTo(bytes), name);

        var (listExit, listing) = RunRsync(daemon.BaseUri, Path.Combine(_work, "unused"), TimeSpan.FromSeconds(30));
        Assert.That(listExit, Is.EqualTo(0));
        Assert.That(listing, Does.Contain("repo"), "module list");

        int pid = daemon.ProcessId;
        int port = daemon.Port;
        var sw = Stopwatch.StartNew();
        daemon.Stop();
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(6)));
        Assert.That(daemon.IsRunning, Is.False);
        Assert.That(ProcessGone(pid), "daemon process gone");
        Assert.That(Accepts(port), Is.False, "port closed");
        daemon.Stop(); // idempotent
    }

    private static bool ProcessGone(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return p.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }

    /// <summary>A fixed port that is taken: the start fails with the daemon's reason, and leaves no process behind.</summary>
    [Test]
    public void ATakenFixedPortFailsCleanly()
    {
        using var blocker = new TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        int port = ((IPEndPoint)blocker.LocalEndpoint).Port;
        var sw = Stopwatch.StartNew();
        var e = Assert.Throws<InvalidOperationException>(() => RsyncDaemon.Start("repo", _work, port, TimeSpan.FromSeconds(10)));
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
        Assert.That(e!.Message, Does.Contain("in use").IgnoreCase);
    }

    /// <summary>The module path may be a symbolic link that is swapped while the daemon runs (how LiveRepository publishes a new tree).</summary>
    [Test]
    public void FollowsASwappedModuleLink()
    {
        var a = Path.Combine(_work, "a");
        var b = Path.Combine(_work, "b");
        Directory.CreateDirectory(a);
        Directory.CreateDirectory(b);
        File.WriteAllText(Path.Combine(a, "one.roa"), "first tree");
        File.WriteAllText(Path.Combine(b, "two.roa"), "second tree");
        var link = Path.Combine(_work, "module");
        File.CreateSymbolicLink(link, a);
        using var daemon = RsyncDaemon.Start("m", link);
        var (exit1, out1) = RunRsync(daemon.ModuleUri("m"), Path.Combine(_work, "d1"), TimeSpan.FromSeconds(30));
        Assert.That(exit1, Is.EqualTo(0), out1);
        Assert.That(DirectoryFiles(Path.Combine(_work, "d1")).Keys, Is.EqualTo(new[] { "one.roa" }));

        RsyncDaemon.SwapModuleLink(link, b);
        Assert.That(Directory.ResolveLinkTarget(link, false)!.FullName, Is.EqualTo(b));
        Assert.That(Directory.EnumerateFileSystemEntries(_work).Where(e => e.Contains(".new")), Is.Empty);
        var (exit2, out2) = RunRsync(daemon.ModuleUri("m"), Path.Combine(_work, "d2"), TimeSpan.FromSeconds(30));
        Assert.That(exit2, Is.EqualTo(0), out2);
        Assert.That(DirectoryFiles(Path.Combine(_work, "d2")).Keys, Is.EqualTo(new[] { "two.roa" }));
    }
}
