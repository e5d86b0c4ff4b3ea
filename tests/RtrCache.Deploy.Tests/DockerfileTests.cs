using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using RtrCache.Testing;

namespace RtrCache.Deploy.Tests;

/// <summary>
/// The Dockerfile, tested by what it runs, since images cannot be pulled or built on these machines: its
/// declarations agree with each other (EXPOSE = listen ports of CMD, HEALTHCHECK on the HTTP port and
/// /healthz, VOLUME = --cache-dir, a non-root USER); and its build step and entrypoint really work: the same
/// <c>dotnet publish</c> command (output moved to a temporary /app), the same COPY steps, then ENTRYPOINT + CMD
/// started, ready on the sample data, and the HEALTHCHECK command itself run against it.
/// </summary>
public sealed partial class DockerfileTests
{
    private static string Root => ProgramProcess.RepositoryRoot();

    [Test]
    public void Declarations_agree_with_the_default_command()
    {
        var d = Dockerfile.Load(Path.Combine(Root, "Dockerfile"));
        Assert.That(d.Stages, Has.Count.GreaterThanOrEqualTo(2), "multi-stage: SDK build, runtime image");
        Assert.That(d.Stages[0].From, Does.StartWith("mcr.microsoft.com/dotnet/sdk:"));
        Assert.That(d.Final.From, Does.StartWith("mcr.microsoft.com/dotnet/aspnet:"), "the runtime image has no SDK");

        var cmd = d.Final.JsonArgs("CMD");
        var expose = d.Final.Values("EXPOSE").SelectMany(v => v.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(p => int.Parse(p.Split('/')[0], CultureInfo.InvariantCulture)).ToList();
        var listen = DeployedServer.ListenPorts(cmd, "--rtr-listen").Concat(DeployedServer.ListenPorts(cmd, "--http-listen")).ToList();
        Assert.That(expose, Is.EquivalentTo(new[] { 3323, 8323 }));
        Assert.That(listen, Is.EquivalentTo(expose), "EXPOSE lists exactly the ports CMD listens on");
        Assert.That(DeployedServer.OptionValues(cmd, "--rtr-listen").Concat(DeployedServer.OptionValues(cmd, "--http-listen")).All(v => v.StartsWith("0.0.0.0:", StringComparison.Ordinal)),
            "a container must listen on all addresses, not loopback");

        string health = d.Final.Single("HEALTHCHECK");
        var port = HealthPort().Match(health);
        Assert.That(port.Success, $"HEALTHCHECK connects to 127.0.0.1: {health}");
        Assert.That(int.Parse(port.Groups[1].Value, CultureInfo.InvariantCulture), Is.EqualTo(DeployedServer.ListenPorts(cmd, "--http-listen").Single()), "HEALTHCHECK uses the HTTP port");
        Assert.That(health, Does.Contain("GET /healthz "));

        Assert.That(d.Final.Values("VOLUME"), Is.EquivalentTo(DeployedServer.OptionValues(cmd, "--cache-dir")), "VOLUME is the --cache-dir of CMD");
        string user = d.Final.Single("USER");
        Assert.That(user, Is.Not.EqualTo("root").And.Not.EqualTo("0"), "non-root USER");

        var entrypoint = d.Final.JsonArgs("ENTRYPOINT");
        Assert.That(entrypoint, Is.EqualTo(new[] { "dotnet", $"{d.Final.Single("WORKDIR")}/rtrcache.dll" }), "ENTRYPOINT runs the published dll in WORKDIR");

        foreach (var test in d.Stages[0].Values("RUN").SelectMany(r => TestProject().Matches(r)).Select(m => m.Groups[1].Value))
            Assert.That(Directory.Exists(Path.Combine(Root, test)), $"the build stage tests {test}, which exists");
    }

    [Test]
    public async Task Published_image_content_runs_the_default_command_and_passes_its_health_check()
    {
        var d = Dockerfile.Load(Path.Combine(Root, "Dockerfile"));
        string temp = TempTree.Create("rtrcache-docker");
        try
        {
            string app = Path.Combine(temp, "app");
            string workdir = d.Final.Single("WORKDIR");

            // The build stage's publish command, as written, with only the output directory moved.
            string publish = d.Stages[0].Values("RUN").Single(r => r.Contains("dotnet publish", StringComparison.Ordinal));
            var words = publish[publish.IndexOf("dotnet publish", StringComparison.Ordinal)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
            int output = words.IndexOf("-o");
            Assert.That(output, Is.GreaterThan(0), $"publish names its output: {publish}");
            Assert.That(words[output + 1], Is.EqualTo(workdir), "published where the runtime stage copies from and runs");
            words[output + 1] = app;
            TestContext.Out.WriteLine($"in {Root}: {string.Join(' ', words)}");
            await using (var build = ProgramProcess.Start(ProgramProcess.DotnetHost(), words.Skip(1), workingDirectory: Root, unset: ["MSBuild", "MSBUILD", "VSTEST", "DOTNET_HOST_PATH"]))
            {
                int exit = await build.WaitForExitAsync(TimeSpan.FromMinutes(8));
                Assert.That(exit, Is.EqualTo(0), build.Describe());
            }
            Assert.That(File.Exists(Path.Combine(app, "rtrcache.dll")));
            Assert.That(Directory.GetFiles(Path.Combine(app, "tals"), "*.tal").Select(Path.GetFileName).Order(),
                Is.EqualTo(new[] { "afrinic.tal", "apnic.tal", "arin.tal", "lacnic.tal", "ripe.tal" }), "the image has the RIR TALs in /app/tals (what deploy/kubernetes passes as --tal-dir)");

            // The runtime stage's COPY steps from the build context.
            foreach (var copy in d.Final.Values("COPY").Where(c => !c.StartsWith("--from", StringComparison.Ordinal)))
            {
                var parts = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                string destination = Path.GetFullPath(Path.Combine(app, parts[^1]));
                foreach (var source in parts[..^1]) CopyDirectory(Path.Combine(Root, source), destination);
            }

            var paths = new PathMap().Add(workdir, app);
            foreach (var volume in d.Final.Values("VOLUME"))
            {
                string local = Path.Combine(temp, "volume" + volume.Replace('/', '-'));
                Directory.CreateDirectory(local);
                paths.Add(volume, local);
            }
            var entrypoint = d.Final.JsonArgs("ENTRYPOINT");
            var cmd = d.Final.JsonArgs("CMD");
            await using var server = await DeployedServer.StartAsync(paths.Apply(entrypoint[1]), cmd, paths);
            int http = DeployedServer.ListenPorts(cmd, "--http-listen").Single();
            await server.Process.WaitForHttpAsync(server.LocalPort(http), "/readyz", s => s == 200, TimeSpan.FromSeconds(30));

            // The HEALTHCHECK command itself, pointed at the local port.
            var health = HealthCommand(d.Final.Single("HEALTHCHECK"), http, server.LocalPort(http));
            var (ok, _, okErr) = await Run(health);
            Assert.That(ok, Is.EqualTo(0), $"HEALTHCHECK against the running program: {okErr}");
            await server.Process.StopAsync();
            var (down, _, _) = await Run(health);
            Assert.That(down, Is.Not.EqualTo(0), "HEALTHCHECK fails when nothing answers");
        }
        finally
        {
            TempTree.Delete(temp);
        }
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> Run(string[] command)
    {
        await using var p = ProgramProcess.Start(command[0], command[1..]);
        int exit = await p.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return (exit, p.Stdout, p.Stderr);
    }

    private static string[] HealthCommand(string healthcheck, int deployedPort, int localPort)
    {
        string json = healthcheck[(healthcheck.IndexOf(" CMD ", StringComparison.Ordinal) + 5)..].Trim();
        var command = JsonSerializer.Deserialize<string[]>(json)!;
        return command.Select(c => c.Replace($"/dev/tcp/127.0.0.1/{deployedPort}", $"/dev/tcp/127.0.0.1/{localPort}", StringComparison.Ordinal)).ToArray();
    }

    private static void CopyDirectory(string source, string destination)
    {
        if (File.Exists(source))
        {
            Directory.CreateDirectory(destination);
            File.Copy(source, Path.Combine(destination, Path.GetFileName(source)), overwrite: true);
            return;
        }
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }

    [GeneratedRegex(@"/dev/tcp/127\.0\.0\.1/(\d+)")]
    private static partial Regex HealthPort();

    [GeneratedRegex(@"dotnet test (\S+)")]
    private static partial Regex TestProject();
}

/// <summary>A Dockerfile as stages of (instruction, argument) pairs, continuation lines joined, comments dropped.</summary>
internal sealed class Dockerfile
{
    private Dockerfile(List<DockerStage> stages) => Stages = stages;

    public List<DockerStage> Stages { get; }

    public DockerStage Final => Stages[^1];

    public static Dockerfile Load(string path)
    {
        var stages = new List<DockerStage>();
        string pending = "";
        foreach (var raw in File.ReadAllLines(path))
        {
            string line = raw.TrimEnd();
            if (pending.Length == 0 && (line.TrimStart().StartsWith('#') || line.Trim().Length == 0)) continue;
            if (line.EndsWith('\\'))
            {
                pending += line[..^1].Trim() + " ";
                continue;
            }
            string full = (pending + line.Trim()).Trim();
            pending = "";
            int space = full.IndexOf(' ', StringComparison.Ordinal);
            string instruction = full[..space].ToUpperInvariant();
            string argument = full[(space + 1)..].Trim();
            if (instruction == "FROM") stages.Add(new DockerStage(argument.Split(' ')[0]));
            else stages[^1].Instructions.Add((instruction, argument));
        }
        return new Dockerfile(stages);
    }
}

internal sealed record DockerStage(string From)
{
    public List<(string Instruction, string Argument)> Instructions { get; } = [];

    public IEnumerable<string> Values(string instruction) => Instructions.Where(i => i.Instruction == instruction).Select(i => i.Argument);

    public string Single(string instruction)
    {
        var all = Values(instruction).ToList();
        Assert.That(all, Has.Count.EqualTo(1), $"one {instruction} in the stage FROM {From}");
        return all[0];
    }

    /// <summary>An exec-form (JSON array) instruction such as CMD or ENTRYPOINT.</summary>
    public string[] JsonArgs(string instruction)
    {
        string value = Single(instruction);
        Assert.That(value, Does.StartWith("["), $"{instruction} in exec form (no shell between the runtime and the process: signals reach dotnet)");
        return JsonSerializer.Deserialize<string[]>(value)!;
    }
}
