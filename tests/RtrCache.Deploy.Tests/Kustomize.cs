using System.Diagnostics;
using RtrCache.Testing;

namespace RtrCache.Deploy.Tests;

/// <summary>The objects a kustomization produces and how they were produced (for test output).</summary>
internal sealed record Rendered(IReadOnlyList<K8sObject> Objects, string How)
{
    public IEnumerable<K8sObject> OfKind(string kind) => Objects.Where(o => o.Kind == kind);

    public K8sObject Single(string kind)
    {
        var all = OfKind(kind).ToList();
        Assert.That(all, Has.Count.EqualTo(1), $"exactly one {kind} ({How})");
        return all[0];
    }
}

/// <summary>
/// Builds a kustomization the way <c>kubectl apply -k</c> would. With kubectl on the machine its own
/// <c>kubectl kustomize</c> does it (the real thing, including name hashes and reference updates); without,
/// a small renderer here applies the features deploy/kubernetes uses (resources, configMapGenerator with
/// create/replace, strategic-merge patches with lists merged by name, replicas, images, namespace), so the
/// consistency checks still see the overlay's effective StatefulSet.
/// </summary>
internal static class Kustomize
{
    public static string? KubectlPath()
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, "kubectl");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    public static Rendered Render(string directory)
    {
        if (KubectlPath() is { } kubectl)
        {
            var psi = new ProcessStartInfo(kubectl) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("kustomize");
            psi.ArgumentList.Add(directory);
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(60_000))
            {
                p.Kill(entireProcessTree: true);
                Assert.Fail($"kubectl kustomize {directory} did not finish in 60 s");
            }
            Assert.That(p.ExitCode, Is.EqualTo(0), $"kubectl kustomize {directory}: {stderr.Result}");
            var objects = Yaml.LoadAll(stdout.Result, $"kubectl kustomize {directory}").Select(d => K8sObject.From(d, "kubectl kustomize")).ToList();
            return new Rendered(objects, "kubectl kustomize");
        }
        return new Rendered(RenderOwn(directory), "the tests' own kustomize subset (kubectl not found)");
    }

    private static List<K8sObject> RenderOwn(string directory)
    {
        string file = Path.Combine(directory, "kustomization.yaml");
        var k = Yaml.LoadFile(file).Single();
        var objects = new List<K8sObject>();
        foreach (var resource in Yaml.List(k, "resources").OfType<string>())
        {
            string path = Path.GetFullPath(Path.Combine(directory, resource));
            if (Directory.Exists(path)) objects.AddRange(RenderOwn(path));
            else objects.AddRange(Yaml.LoadFile(path).Select(d => K8sObject.From(d, path)));
        }
        foreach (var generator in Yaml.Maps(k, "configMapGenerator"))
        {
            string name = Yaml.Str(generator, "name")!;
            var data = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var entry in Yaml.List(generator, "files").OfType<string>())
            {
                int eq = entry.IndexOf('=', StringComparison.Ordinal);
                string key = eq >= 0 ? entry[..eq] : Path.GetFileName(entry);
                data[key] = File.ReadAllText(Path.Combine(directory, eq >= 0 ? entry[(eq + 1)..] : entry));
            }
            string behavior = Yaml.Str(generator, "behavior") ?? "create";
            int existing = objects.FindIndex(o => o.Kind == "ConfigMap" && o.Name == name);
            if (behavior == "create" || existing < 0)
            {
                objects.Add(K8sObject.From(new Dictionary<string, object?>
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "ConfigMap",
                    ["metadata"] = new Dictionary<string, object?> { ["name"] = name },
                    ["data"] = data,
                }, file));
            }
            else
            {
                var body = (Dictionary<string, object?>)Yaml.Clone(objects[existing].Body)!;
                if (behavior == "replace") body["data"] = data;
                else foreach (var (key, value) in data) Yaml.Map(body, "data")[key] = value;
                objects[existing] = objects[existing] with { Body = body };
            }
        }
        foreach (var patch in Yaml.Maps(k, "patches"))
        {
            string path = Path.Combine(directory, Yaml.Str(patch, "path") ?? throw new AssertionException($"{file}: only file patches are supported here"));
            foreach (var doc in Yaml.LoadFile(path))
            {
                var target = K8sObject.From(doc, path);
                int index = objects.FindIndex(o => o.Kind == target.Kind && o.Name == target.Name);
                Assert.That(index, Is.GreaterThanOrEqualTo(0), $"{path}: patches {target.Kind}/{target.Name}, which no resource defines");
                objects[index] = objects[index] with { Body = (Dictionary<string, object?>)Merge(Yaml.Clone(objects[index].Body), doc)! };
            }
        }
        foreach (var r in Yaml.Maps(k, "replicas"))
        {
            foreach (var o in objects.Where(o => o.Name == Yaml.Str(r, "name")))
                Yaml.Map(o.Body, "spec")["replicas"] = Yaml.Str(r, "count");
        }
        foreach (var image in Yaml.Maps(k, "images"))
        {
            foreach (var container in objects.SelectMany(o => Yaml.Maps(o.Body, "spec", "template", "spec", "containers")))
            {
                string current = Yaml.Str(container, "image") ?? "";
                string name = current.Split(':')[0];
                if (name != Yaml.Str(image, "name")) continue;
                container["image"] = $"{Yaml.Str(image, "newName") ?? name}:{Yaml.Str(image, "newTag") ?? (current.Contains(':', StringComparison.Ordinal) ? current.Split(':')[1] : "latest")}";
            }
        }
        if (Yaml.Str(k, "namespace") is { } ns)
        {
            foreach (var o in objects.Where(o => o.Kind != "Namespace"))
                Yaml.Map(o.Body, "metadata")["namespace"] = ns;
        }
        return objects;
    }

    /// <summary>Strategic merge as far as these manifests need it: maps merge, lists of named items merge by name, the rest is replaced.</summary>
    private static object? Merge(object? target, object? patch)
    {
        if (target is Dictionary<string, object?> t && patch is Dictionary<string, object?> p)
        {
            foreach (var (key, value) in p)
            {
                if (value is null) t.Remove(key);
                else t[key] = t.TryGetValue(key, out var existing) ? Merge(existing, value) : Yaml.Clone(value);
            }
            return t;
        }
        if (target is List<object?> tl && patch is List<object?> pl && tl.Concat(pl).All(i => Yaml.Str(i, "name") is not null))
        {
            foreach (var item in pl)
            {
                int index = tl.FindIndex(i => Yaml.Str(i, "name") == Yaml.Str(item, "name"));
                if (index >= 0) tl[index] = Merge(tl[index], item);
                else tl.Add(Yaml.Clone(item));
            }
            return tl;
        }
        return Yaml.Clone(patch);
    }

    /// <summary>The kustomization directories under deploy/kubernetes (base and every overlay).</summary>
    public static IEnumerable<string> Directories()
        => Directory.EnumerateFiles(Path.Combine(ProgramProcess.RepositoryRoot(), "deploy", "kubernetes"), "kustomization.yaml", SearchOption.AllDirectories)
            .Select(Path.GetDirectoryName)
            .OfType<string>()
            .Order(StringComparer.Ordinal);
}
