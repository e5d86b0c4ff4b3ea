using RtrCache.Server.Tests.Support;
using RtrCache.Testbed;

namespace RtrCache.Server.Tests;

/// <summary>
/// <c>serve --tal-dir --repo</c>: the payload comes from our own validator run over a generated repository (the
/// clock is the real one; the generator's default validity windows start today), and a change of the repository
/// reaches a router as an incremental update after the next run.
/// </summary>
[NonParallelizable]
public sealed class RepositorySourceTests : ServerTestBase
{
    [Test]
    public async Task Serves_the_validated_repository_and_follows_a_change_by_delta()
    {
        var good = Repository.Generate(TestbedOptions.ForScale(TestbedScale.Tiny));
        var broken = BrokenVariants.Get("revoked-ee").Apply(good);
        string work = Path.Combine(Path.GetTempPath(), "rtrcache-repo-source-" + Guid.NewGuid().ToString("N"));
        try
        {
            string tals = Path.Combine(work, "tals"), repo = Path.Combine(work, "repo");
            Directory.CreateDirectory(tals);
            foreach (var tal in good.TalPaths) File.Copy(tal, Path.Combine(tals, Path.GetFileName(tal)));
            CopyTree(good.TreeRoot, repo);

            var server = await StartServerAsync(initial: null, s => s with
            {
                JsonSource = null,
                TalDirectory = tals,
                RepositoryDirectory = repo,
                ReloadInterval = TimeSpan.FromSeconds(1),
            });
            await server.WaitReadyAsync();
            var client = await server.SyncedClientAsync(2);
            Assert.That(client.Model.ToPayloadSet(), Is.EqualTo(good.Expected()), "full sync = the generator's expected payload");
            uint first = client.Serial!.Value.Value;

            // Our own runs know which trust anchor each entry came from: the ta filter works and names the known TAs.
            string taName = Path.GetFileNameWithoutExtension(good.TalPaths.First());
            var (okStatus, okBody) = await server.GetAsync($"api/v1/vrps?ta={taName}&limit=10000");
            Assert.That(okStatus, Is.EqualTo(System.Net.HttpStatusCode.OK), okBody);
            using (var doc = System.Text.Json.JsonDocument.Parse(okBody))
                Assert.That(doc.RootElement.GetProperty("total").GetInt32(), Is.EqualTo(good.Expected().VrpCount));
            var (badStatus, badBody) = await server.GetAsync("api/v1/vrps?ta=no-such-ta");
            Assert.That(badStatus, Is.EqualTo(System.Net.HttpStatusCode.BadRequest));
            Assert.That(badBody, Does.Contain("known: " + taName));

            // Swap in the broken variant by renames, so no run sees a half-copied tree.
            string next = Path.Combine(work, "repo.next"), old = Path.Combine(work, "repo.old");
            string brokenDir = Path.Combine(work, "broken");
            broken.WriteTo(brokenDir);
            CopyTree(broken.TreeRoot, next);
            Directory.Move(repo, old);
            Directory.Move(next, repo);

            await server.WaitForSerialAsync(first + 1);
            var update = await client.SerialAsync();
            Assert.That(update.IsCacheReset, Is.False, "a repository change must arrive as a delta");
            Assert.That(update.Payload.All(p => !p.Announce), Is.True, "revoking one ROA only withdraws");
            Assert.That(client.Model.ToPayloadSet(), Is.EqualTo(broken.Expected()));
            Assert.That(broken.Expected().VrpCount, Is.LessThan(good.Expected().VrpCount));
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }
}
