using System.Globalization;
using RtrCache.Testing;

namespace RtrCache.Deploy.Tests;

/// <summary>
/// deploy/kubernetes: every manifest parses, every kustomization builds, and what the manifests promise
/// matches what the program does — container ports, Service target ports and the listen flags agree, the
/// probe paths and the ServiceMonitor path are endpoints the real program serves (started with the
/// StatefulSet's own arguments and ConfigMaps), volumes cover every path the arguments use, and the pod is
/// locked down.
/// </summary>
public sealed class KubernetesTests
{
    private const string PodNameLabel = "statefulset.kubernetes.io/pod-name";

    private static string KubernetesDirectory => Path.Combine(ProgramProcess.RepositoryRoot(), "deploy", "kubernetes");

    public static IEnumerable<TestCaseData> Kustomizations()
        => Kustomize.Directories().Select(d => new TestCaseData(d).SetArgDisplayNames(Path.GetRelativePath(KubernetesDirectory, d)));

    [Test]
    public void Every_manifest_parses_and_names_its_object()
    {
        var files = Directory.EnumerateFiles(KubernetesDirectory, "*.yaml", SearchOption.AllDirectories).ToList();
        Assert.That(files, Is.Not.Empty);
        foreach (var file in files)
        {
            var docs = Yaml.LoadFile(file);
            Assert.That(docs, Is.Not.Empty, file);
            foreach (var doc in docs)
            {
                Assert.That(Yaml.Str(doc, "apiVersion"), Is.Not.Null.And.Not.Empty, $"{file}: apiVersion");
                Assert.That(Yaml.Str(doc, "kind"), Is.Not.Null.And.Not.Empty, $"{file}: kind");
                if (Yaml.Str(doc, "kind") != "Kustomization")
                    Assert.That(Yaml.Str(doc, "metadata", "name"), Is.Not.Null.And.Not.Empty, $"{file}: metadata.name");
            }
        }
    }

    [TestCaseSource(nameof(Kustomizations))]
    public void Kustomization_references_exist_and_it_builds(string directory)
    {
        var k = Yaml.LoadFile(Path.Combine(directory, "kustomization.yaml")).Single();
        foreach (var resource in Yaml.List(k, "resources").OfType<string>())
        {
            string path = Path.GetFullPath(Path.Combine(directory, resource));
            Assert.That(File.Exists(path) || File.Exists(Path.Combine(path, "kustomization.yaml")), $"resource {resource} of {directory}");
        }
        foreach (var patch in Yaml.Maps(k, "patches"))
            Assert.That(File.Exists(Path.Combine(directory, Yaml.Str(patch, "path")!)), $"patch {Yaml.Str(patch, "path")}");
        foreach (var file in Yaml.Maps(k, "configMapGenerator").SelectMany(g => Yaml.List(g, "files").OfType<string>()))
            Assert.That(File.Exists(Path.Combine(directory, file.Contains('=', StringComparison.Ordinal) ? file[(file.IndexOf('=', StringComparison.Ordinal) + 1)..] : file)), $"configMapGenerator file {file}");

        var rendered = Kustomize.Render(directory);
        TestContext.Out.WriteLine($"{directory}: {rendered.Objects.Count} objects by {rendered.How}: {string.Join(", ", rendered.Objects.Select(o => $"{o.Kind}/{o.Name}"))}");
        Assert.That(rendered.OfKind("StatefulSet").Count(), Is.EqualTo(1));
    }

    [TestCaseSource(nameof(Kustomizations))]
    public void Ports_services_and_listen_flags_agree(string directory)
    {
        var r = Kustomize.Render(directory);
        var sts = r.Single("StatefulSet");
        var container = RtrCacheContainer(sts);
        var args = Args(container);
        var ports = Yaml.Maps(container, "ports").ToDictionary(p => Yaml.Str(p, "name")!, p => int.Parse(Yaml.Str(p, "containerPort")!, CultureInfo.InvariantCulture));

        Assert.That(DeployedServer.ListenPorts(args, "--rtr-listen"), Is.EquivalentTo(new[] { ports["rtr"] }), "--rtr-listen port = container port \"rtr\"");
        Assert.That(DeployedServer.ListenPorts(args, "--http-listen"), Is.EquivalentTo(new[] { ports["http"] }), "--http-listen port = container port \"http\"");
        Assert.That(ports.Values, Is.SubsetOf(DeployedServer.ListenPorts(args, "--rtr-listen").Concat(DeployedServer.ListenPorts(args, "--http-listen"))
            .Concat(DeployedServer.ListenPorts(args, "--rtr-tls-listen"))), "every container port has a listener");
        foreach (var p in Yaml.Maps(container, "ports"))
            Assert.That(Yaml.Str(p, "protocol") ?? "TCP", Is.EqualTo("TCP"), "RTR and HTTP are TCP");

        var podLabels = Yaml.Map(sts.Body, "spec", "template", "metadata", "labels");
        int replicas = int.Parse(Yaml.Str(sts.Body, "spec", "replicas") ?? "1", CultureInfo.InvariantCulture);
        Assert.That(Yaml.Map(sts.Body, "spec", "selector", "matchLabels").All(kv => podLabels.TryGetValue(kv.Key, out var v) && Equals(v, kv.Value)),
            "the StatefulSet's selector matches its pod template");
        Assert.That(r.OfKind("Service").Any(s => Yaml.Str(s.Body, "metadata", "name") == Yaml.Str(sts.Body, "spec", "serviceName")),
            "the StatefulSet's governing (headless) Service exists");

        var services = r.OfKind("Service").ToList();
        Assert.That(services, Is.Not.Empty);
        foreach (var service in services)
        {
            var selector = Yaml.Map(service.Body, "spec", "selector");
            Assert.That(selector.All(kv => SelectsPod(kv.Key, kv.Value as string, podLabels, Yaml.Str(sts.Body, "metadata", "name")!, replicas)),
                $"{service}: selector {string.Join(",", selector.Select(kv => $"{kv.Key}={kv.Value}"))} matches the StatefulSet's pods");
            foreach (var port in Yaml.Maps(service.Body, "spec", "ports"))
            {
                string target = Yaml.Str(port, "targetPort") ?? Yaml.Str(port, "port")!;
                Assert.That(ports.ContainsKey(target) || ports.ContainsValue(int.Parse(target, CultureInfo.InvariantCulture)),
                    $"{service}: targetPort {target} is a container port ({string.Join(", ", ports.Select(p => $"{p.Key}={p.Value}"))})");
            }
        }
        Assert.That(services.Any(s => Yaml.Maps(s.Body, "spec", "ports").Any(p => Yaml.Str(p, "targetPort") == "rtr")), "a Service carries RTR");
        Assert.That(services.Any(s => Yaml.Maps(s.Body, "spec", "ports").Any(p => Yaml.Str(p, "targetPort") == "http")), "a Service carries HTTP");
    }

    [TestCaseSource(nameof(Kustomizations))]
    public void Pod_is_locked_down_and_sized(string directory)
    {
        var sts = Kustomize.Render(directory).Single("StatefulSet");
        var pod = Yaml.Map(sts.Body, "spec", "template", "spec");
        var container = RtrCacheContainer(sts);
        var sc = Yaml.Map(container, "securityContext");
        Assert.Multiple(() =>
        {
            Assert.That(Yaml.Str(pod, "securityContext", "runAsNonRoot") ?? Yaml.Str(sc, "runAsNonRoot"), Is.EqualTo("true"), "runAsNonRoot");
            Assert.That(Yaml.Str(pod, "securityContext", "runAsUser"), Is.Not.EqualTo("0"), "not UID 0");
            Assert.That(Yaml.Str(sc, "readOnlyRootFilesystem"), Is.EqualTo("true"), "readOnlyRootFilesystem");
            Assert.That(Yaml.Str(sc, "allowPrivilegeEscalation"), Is.EqualTo("false"), "allowPrivilegeEscalation");
            Assert.That(Yaml.List(sc, "capabilities", "drop"), Does.Contain("ALL"), "capabilities drop ALL");
            Assert.That(Yaml.List(sc, "capabilities", "add"), Is.Empty, "no capability added (ports above 1024)");
            Assert.That(Yaml.Str(sc, "seccompProfile", "type") ?? Yaml.Str(pod, "securityContext", "seccompProfile", "type"), Is.EqualTo("RuntimeDefault"), "seccomp");
            Assert.That(Yaml.Str(pod, "automountServiceAccountToken"), Is.EqualTo("false"), "no API token in the pod");
            Assert.That(Yaml.Str(container, "resources", "requests", "cpu"), Is.Not.Null, "CPU request");
            Assert.That(Memory(Yaml.Str(container, "resources", "requests", "memory")), Is.GreaterThanOrEqualTo(900L << 20),
                "memory request covers the measured peak (416 MB validating + ~500 MB serving 1,000 routers)");
            Assert.That(Memory(Yaml.Str(container, "resources", "limits", "memory")), Is.GreaterThanOrEqualTo(Memory(Yaml.Str(container, "resources", "requests", "memory"))),
                "memory limit at or above the request");
        });
    }

    [TestCaseSource(nameof(Kustomizations))]
    public void Volumes_cover_every_path_the_arguments_use(string directory)
    {
        var r = Kustomize.Render(directory);
        var sts = r.Single("StatefulSet");
        var container = RtrCacheContainer(sts);
        var args = Args(container);
        var volumes = Yaml.Maps(sts.Body, "spec", "template", "spec", "volumes").ToDictionary(v => Yaml.Str(v, "name")!);
        var claims = Yaml.Maps(sts.Body, "spec", "volumeClaimTemplates").Select(c => Yaml.Str(c, "metadata", "name")!).ToHashSet();
        var mounts = Yaml.Maps(container, "volumeMounts").ToList();
        foreach (var m in mounts)
            Assert.That(volumes.ContainsKey(Yaml.Str(m, "name")!) || claims.Contains(Yaml.Str(m, "name")!), $"volumeMount {Yaml.Str(m, "name")} has a volume");

        string cache = DeployedServer.OptionValues(args, "--cache-dir").Single();
        var cacheMount = mounts.SingleOrDefault(m => Yaml.Str(m, "mountPath") == cache);
        Assert.That(cacheMount, Is.Not.Null, $"--cache-dir {cache} is a mounted volume");
        Assert.That(claims, Does.Contain(Yaml.Str(cacheMount, "name")), "the cache is a PersistentVolumeClaim of the StatefulSet");
        Assert.That(Yaml.Str(cacheMount, "readOnly"), Is.Not.EqualTo("true"), "the cache is writable");

        if (Yaml.Str(container, "securityContext", "readOnlyRootFilesystem") == "true")
            Assert.That(mounts.Any(m => Yaml.Str(m, "mountPath") == "/tmp" && volumes.TryGetValue(Yaml.Str(m, "name")!, out var v) && Yaml.Get(v, "emptyDir") is not null),
                "with a read-only root file system /tmp is a writable emptyDir (the .NET runtime's diagnostics socket)");

        // --config and every file the configuration names must come from a mounted ConfigMap that holds it.
        var files = new List<string>(DeployedServer.OptionValues(args, "--config"));
        files.AddRange(DeployedServer.OptionValues(args, "--slurm"));
        foreach (var config in DeployedServer.OptionValues(args, "--config"))
        {
            string text = ConfigMapFile(r, sts, config) ?? "";
            files.AddRange(ConfigPaths(text, "slurm"));
        }
        Assert.That(files, Is.Not.Empty, "the StatefulSet reads a configuration file");
        foreach (var file in files)
            Assert.That(ConfigMapFile(r, sts, file), Is.Not.Null, $"{file} is a key of a ConfigMap mounted at its directory");

        Assert.That(DeployedServer.OptionValues(args, "--tal-dir").Single(), Is.EqualTo("/app/tals"),
            "the TALs the image ships (the Dockerfile publishes deploy/tals to /app/tals)");
    }

    [TestCaseSource(nameof(Kustomizations))]
    public void Disruption_budget_and_service_monitor_select_the_pods(string directory)
    {
        var r = Kustomize.Render(directory);
        var sts = r.Single("StatefulSet");
        var podLabels = Yaml.Map(sts.Body, "spec", "template", "metadata", "labels");
        var pdb = r.Single("PodDisruptionBudget");
        Assert.That(Yaml.Map(pdb.Body, "spec", "selector", "matchLabels").All(kv => podLabels.TryGetValue(kv.Key, out var v) && Equals(v, kv.Value)), "PDB selects the pods");
        Assert.That(Yaml.Str(pdb.Body, "spec", "maxUnavailable") ?? Yaml.Str(pdb.Body, "spec", "minAvailable"), Is.Not.Null);
        if (Yaml.Str(pdb.Body, "spec", "minAvailable") is { } min)
            Assert.That(int.Parse(min, CultureInfo.InvariantCulture), Is.LessThan(int.Parse(Yaml.Str(sts.Body, "spec", "replicas") ?? "1", CultureInfo.InvariantCulture)),
                "minAvailable below the replica count, or no node could ever be drained");

        var monitor = r.Single("ServiceMonitor");
        Assert.That(Yaml.Str(monitor.Body, "apiVersion"), Is.EqualTo("monitoring.coreos.com/v1"));
        var selected = SelectedServices(r, monitor);
        Assert.That(selected, Has.Count.EqualTo(1), "the ServiceMonitor selects exactly one Service (no target scraped twice)");
        foreach (var endpoint in Yaml.Maps(monitor.Body, "spec", "endpoints"))
        {
            Assert.That(Yaml.Str(endpoint, "path"), Is.EqualTo("/metrics"));
            Assert.That(Yaml.Maps(selected[0].Body, "spec", "ports").Select(p => Yaml.Str(p, "name")), Does.Contain(Yaml.Str(endpoint, "port")),
                $"port name {Yaml.Str(endpoint, "port")} exists on {selected[0]}");
        }
    }

    /// <summary>
    /// Starts the program with the StatefulSet's arguments, environment and ConfigMaps (paths and ports moved to
    /// this machine) and asks it what the kubelet and Prometheus would ask: the startup and liveness probes
    /// must answer 200, the readiness probe 200 or 503 (not ready while loading; with the sample data it must
    /// become 200), and the ServiceMonitor's path must return the metrics.
    /// </summary>
    [TestCaseSource(nameof(Kustomizations))]
    public async Task Probes_and_metrics_are_served_by_the_program_started_with_the_manifest(string directory)
    {
        var r = Kustomize.Render(directory);
        var sts = r.Single("StatefulSet");
        var container = RtrCacheContainer(sts);
        var ports = Yaml.Maps(container, "ports").ToDictionary(p => Yaml.Str(p, "name")!, p => int.Parse(Yaml.Str(p, "containerPort")!, CultureInfo.InvariantCulture));

        string root = TempTree.Create("rtrcache-deploy");
        try
        {
            var paths = new PathMap().Add("/app/tals", DeployedServer.LoopbackTalDirectory(root));
            var volumes = Yaml.Maps(sts.Body, "spec", "template", "spec", "volumes").ToDictionary(v => Yaml.Str(v, "name")!);
            var configMapDirectories = new List<(string Directory, Dictionary<string, object?> Data)>();
            foreach (var mount in Yaml.Maps(container, "volumeMounts"))
            {
                string local = Path.Combine(root, "volumes", Yaml.Str(mount, "name")!);
                Directory.CreateDirectory(local);
                paths.Add(Yaml.Str(mount, "mountPath")!, local);
                if (volumes.TryGetValue(Yaml.Str(mount, "name")!, out var volume) && Yaml.Str(volume, "configMap", "name") is { } cm)
                    configMapDirectories.Add((local, Yaml.Map(r.OfKind("ConfigMap").Single(c => c.Name == cm).Body, "data")));
            }
            foreach (var (local, data) in configMapDirectories)
                foreach (var (key, value) in data)
                    await File.WriteAllTextAsync(Path.Combine(local, key), paths.Apply((string)value!));
            var env = Yaml.Maps(container, "env").Where(e => Yaml.Str(e, "value") is not null).ToDictionary(e => Yaml.Str(e, "name")!, e => Yaml.Str(e, "value")!);

            await using var server = await DeployedServer.StartAsync(ProgramProcess.RtrCacheDll, Args(container), paths, env);
            foreach (var (probe, accepted) in new[] { ("startupProbe", new[] { 200 }), ("livenessProbe", new[] { 200 }), ("readinessProbe", new[] { 200, 503 }) })
            {
                var get = Yaml.Map(container, probe, "httpGet");
                Assert.That(get, Is.Not.Empty, $"{probe} is an HTTP GET");
                string portName = Yaml.Str(get, "port")!;
                int port = ports.TryGetValue(portName, out int named) ? named : int.Parse(portName, CultureInfo.InvariantCulture);
                var (status, body) = await server.GetAsync(port, Yaml.Str(get, "path")!);
                TestContext.Out.WriteLine($"{probe} GET {Yaml.Str(get, "path")} → {status} {body.Trim()}");
                Assert.That(accepted, Does.Contain(status), $"{probe} GET {Yaml.Str(get, "path")} on {portName}: {body}");
            }
            if (server.Mode != "as deployed")
            {
                var readiness = Yaml.Map(container, "readinessProbe", "httpGet");
                await server.Process.WaitForHttpAsync(server.LocalPort(ports[Yaml.Str(readiness, "port")!]), Yaml.Str(readiness, "path")!, s => s == 200, TimeSpan.FromSeconds(30));
            }

            var monitor = r.Single("ServiceMonitor");
            var service = SelectedServices(r, monitor).Single();
            foreach (var endpoint in Yaml.Maps(monitor.Body, "spec", "endpoints"))
            {
                var servicePort = Yaml.Maps(service.Body, "spec", "ports").Single(p => Yaml.Str(p, "name") == Yaml.Str(endpoint, "port"));
                string target = Yaml.Str(servicePort, "targetPort")!;
                int containerPort = ports.TryGetValue(target, out int t) ? t : int.Parse(target, CultureInfo.InvariantCulture);
                var (status, body) = await server.GetAsync(containerPort, Yaml.Str(endpoint, "path")!);
                Assert.That(status, Is.EqualTo(200), $"ServiceMonitor scrape {Yaml.Str(endpoint, "path")}");
                Assert.That(body, Does.Contain("# TYPE rtrcache_serial gauge"));
            }
        }
        finally
        {
            TempTree.Delete(root);
        }
    }

    private static Dictionary<string, object?> RtrCacheContainer(K8sObject sts)
        => Yaml.Maps(sts.Body, "spec", "template", "spec", "containers").Single(c => Yaml.Str(c, "name") == "rtrcache");

    private static List<string> Args(Dictionary<string, object?> container)
    {
        var command = Yaml.List(container, "command");
        Assert.That(command, Is.Empty, "the image's ENTRYPOINT (dotnet /app/rtrcache.dll) is kept; only args are set");
        var args = Yaml.List(container, "args").Select(a => a as string ?? "").ToList();
        Assert.That(args.FirstOrDefault(), Is.EqualTo("serve"));
        return args;
    }

    /// <summary>The content of a file inside a mounted ConfigMap, or null when no mounted ConfigMap has it.</summary>
    private static string? ConfigMapFile(Rendered r, K8sObject sts, string path)
    {
        var container = RtrCacheContainer(sts);
        var volumes = Yaml.Maps(sts.Body, "spec", "template", "spec", "volumes").ToDictionary(v => Yaml.Str(v, "name")!);
        foreach (var mount in Yaml.Maps(container, "volumeMounts"))
        {
            string dir = Yaml.Str(mount, "mountPath")!.TrimEnd('/');
            if (Path.GetDirectoryName(path) != dir) continue;
            if (!volumes.TryGetValue(Yaml.Str(mount, "name")!, out var v) || Yaml.Str(v, "configMap", "name") is not { } name) continue;
            var cm = r.OfKind("ConfigMap").SingleOrDefault(c => c.Name == name);
            Assert.That(cm, Is.Not.Null, $"ConfigMap {name} of volume {Yaml.Str(mount, "name")} exists");
            if (Yaml.Str(cm!.Body, "data", Path.GetFileName(path)) is { } text) return text;
        }
        return null;
    }

    /// <summary>The string values of a key in an rtrcache.json text (comments allowed), one or an array.</summary>
    private static IEnumerable<string> ConfigPaths(string json, string key)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(json, new System.Text.Json.JsonDocumentOptions
        {
            CommentHandling = System.Text.Json.JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
        if (!doc.RootElement.TryGetProperty(key, out var value)) return [];
        return value.ValueKind == System.Text.Json.JsonValueKind.Array
            ? value.EnumerateArray().Select(e => e.GetString()!).ToList()
            : [value.GetString()!];
    }

    private static List<K8sObject> SelectedServices(Rendered r, K8sObject monitor)
    {
        var match = Yaml.Map(monitor.Body, "spec", "selector", "matchLabels");
        return r.OfKind("Service")
            .Where(s => match.All(kv => Yaml.Map(s.Body, "metadata", "labels").TryGetValue(kv.Key, out var v) && Equals(v, kv.Value)))
            .ToList();
    }

    /// <summary>A selector term matches the pod template, or is the pod-name label the StatefulSet controller sets (NAME-0 … NAME-(replicas-1)).</summary>
    private static bool SelectsPod(string key, string? value, Dictionary<string, object?> podLabels, string statefulSet, int replicas)
    {
        if (key == PodNameLabel)
            return Enumerable.Range(0, replicas).Any(i => value == $"{statefulSet}-{i.ToString(CultureInfo.InvariantCulture)}");
        return podLabels.TryGetValue(key, out var v) && Equals(v, value);
    }

    private static long Memory(string? quantity)
    {
        Assert.That(quantity, Is.Not.Null, "memory quantity");
        var units = new (string Suffix, long Factor)[] { ("Ki", 1L << 10), ("Mi", 1L << 20), ("Gi", 1L << 30), ("k", 1000), ("M", 1_000_000), ("G", 1_000_000_000) };
        foreach (var (suffix, factor) in units)
            if (quantity!.EndsWith(suffix, StringComparison.Ordinal))
                return long.Parse(quantity[..^suffix.Length], CultureInfo.InvariantCulture) * factor;
        return long.Parse(quantity!, CultureInfo.InvariantCulture);
    }
}
