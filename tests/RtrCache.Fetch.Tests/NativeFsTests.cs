using RtrCache.Fetch.Store;
using RtrCache.Fetch.Tests.Support;

namespace RtrCache.Fetch.Tests;

/// <summary>
/// The snapshot writer's file creation (<see cref="NativeFs.TryCreateFile"/>): exactly the content, never over
/// an existing name, never through a symbolic link, no partial file left behind.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class NativeFsTests
{
    private TempDir _dir = null!;

    [SetUp]
    public void SetUp()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("the native path is Linux only; elsewhere the writer uses FileStream");
        _dir = new TempDir();
    }

    [TearDown] public void TearDown() => _dir?.Dispose();

    [Test]
    public void Creates_a_new_file_with_the_content()
    {
        string path = _dir.Sub("a.roa");
        var content = TestData.Blob(7, 5000);
        Assert.That(NativeFs.TryCreateFile(path, content), Is.EqualTo(NativeFs.CreateResult.Created));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(content));
        Assert.That(File.GetUnixFileMode(path) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite), Is.EqualTo(UnixFileMode.None), "not writable by others");

        string empty = _dir.Sub("empty.crl");
        Assert.That(NativeFs.TryCreateFile(empty, []), Is.EqualTo(NativeFs.CreateResult.Created));
        Assert.That(new FileInfo(empty).Length, Is.Zero);
    }

    [Test]
    public void An_existing_name_is_reported_and_left_alone()
    {
        string path = _dir.Sub("a.roa");
        File.WriteAllBytes(path, TestData.Blob(1));
        Assert.That(NativeFs.TryCreateFile(path, TestData.Blob(2)), Is.EqualTo(NativeFs.CreateResult.Exists));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(TestData.Blob(1)));
    }

    [Test]
    public void A_symbolic_link_is_never_followed_even_a_dangling_one()
    {
        string outside = _dir.Sub("outside.cer");
        string link = _dir.Sub("planted.cer");
        File.CreateSymbolicLink(link, outside);
        Assert.That(NativeFs.TryCreateFile(link, TestData.Blob(3)), Is.EqualTo(NativeFs.CreateResult.Exists));
        Assert.That(File.Exists(outside), Is.False, "nothing was written through the link");
    }

    [Test]
    public void A_missing_directory_is_an_IO_error()
    {
        Assert.Throws<IOException>(() => NativeFs.TryCreateFile(_dir.Sub("no", "such", "dir", "a.roa"), TestData.Blob(4)));
    }
}
