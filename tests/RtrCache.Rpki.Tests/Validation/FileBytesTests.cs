using RtrCache.Rpki.Validation;

namespace RtrCache.Rpki.Tests.Validation;

/// <summary>The validator's file reads (<see cref="FileBytes"/>): exactly the file's bytes, whatever size stat() reported.</summary>
public class FileBytesTests
{
    private string _dir = null!;

    [SetUp] public void SetUp() => _dir = Generated.NewWorkDir("filebytes");
    [TearDown] public void TearDown() => Generated.TryDelete(_dir);

    private string Write(string name, int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(2048)]
    [TestCase(300_000)]
    public void Reads_the_whole_file(int length)
    {
        var path = Write("a.roa", length);
        Assert.That(FileBytes.Read(path, length), Is.EqualTo(File.ReadAllBytes(path)));
    }

    [TestCase(100, 50)]
    [TestCase(100, 150)]
    [TestCase(0, 10)]
    [TestCase(10, 0)]
    public void A_file_that_changed_size_since_stat_is_still_read_whole(int length, int statLength)
    {
        var path = Write("b.roa", length);
        Assert.That(FileBytes.Read(path, statLength), Is.EqualTo(File.ReadAllBytes(path)));
    }

    [Test]
    public void A_missing_file_is_FileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => FileBytes.Read(Path.Combine(_dir, "gone.roa"), 10));
    }
}
