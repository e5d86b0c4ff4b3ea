using System.Text.Json;
using System.Text.RegularExpressions;
using RtrCache.Testing;

namespace RtrCache.Deploy.Tests;

/// <summary>
/// deploy/grafana/rtrcache-dashboard.json parses as a dashboard and every metric its queries use is one a
/// running rtrcache exports (scraped from /metrics of the real program), or one of the fetch and validation
/// metrics announced in <see cref="AddedByTheFetcher"/> for work in progress. The test prints that list, and
/// tells when one of them has appeared so it can be removed. A histogram's bare name is not a series: queries
/// must use its _bucket, _sum or _count.
/// </summary>
public sealed partial class GrafanaTests
{
    /// <summary>
    /// Metric names the dashboard may use before the program exports them, announced for work in progress
    /// (the fetcher's and validator's metrics were listed here until RunMetrics exported them: the dashboard
    /// queries rtrcache_fetch_run_duration_seconds, rtrcache_fetch_duration_seconds{repository,transport},
    /// rtrcache_fetch_repositories{state}, rtrcache_validation_duration_seconds and
    /// rtrcache_validation_objects{type,outcome}, among others). Empty: everything queried exists.
    /// </summary>
    public static readonly IReadOnlyList<string> AddedByTheFetcher = [];

    private static string DashboardPath => Path.Combine(ProgramProcess.RepositoryRoot(), "deploy", "grafana", "rtrcache-dashboard.json");

    [Test]
    public void Dashboard_is_a_valid_grafana_dashboard()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(DashboardPath));
        var root = doc.RootElement;
        Assert.That(root.GetProperty("title").GetString(), Is.Not.Empty);
        Assert.That(root.GetProperty("uid").GetString(), Is.EqualTo("rtrcache"));
        var variables = root.GetProperty("templating").GetProperty("list").EnumerateArray().Select(v => v.GetProperty("name").GetString()).ToList();
        Assert.That(variables, Does.Contain("datasource").And.Contain("instance"));

        var panels = root.GetProperty("panels").EnumerateArray().ToList();
        Assert.That(panels.Select(p => p.GetProperty("id").GetInt32()), Is.Unique);
        foreach (var panel in panels)
        {
            string title = panel.GetProperty("title").GetString()!;
            var grid = panel.GetProperty("gridPos");
            Assert.That(grid.GetProperty("x").GetInt32() + grid.GetProperty("w").GetInt32(), Is.LessThanOrEqualTo(24), $"{title} fits the 24-column grid");
            if (panel.GetProperty("type").GetString() == "row") continue;
            Assert.That(panel.GetProperty("datasource").GetProperty("uid").GetString(), Is.EqualTo("${datasource}"), $"{title} uses the data source variable");
            Assert.That(panel.GetProperty("targets").GetArrayLength(), Is.GreaterThan(0), $"{title} has a query");
            foreach (var t in panel.GetProperty("targets").EnumerateArray())
                Assert.That(t.GetProperty("expr").GetString(), Does.Contain("$instance"), $"{title}: every query follows the instance variable");
        }
    }

    [Test]
    public async Task Every_queried_metric_is_exported_or_announced()
    {
        var queried = QueriedMetrics();
        string cache = TempTree.Create("rtrcache-grafana");
        try
        {
            Assert.That(queried, Is.Not.Empty);

            int http = ProgramProcess.FreeTcpPort();
            await using var server = ProgramProcess.StartDotnet(ProgramProcess.RtrCacheDll,
                ["serve", "--json", DeployedServer.SampleJson, "--rtr-listen", "127.0.0.1:0", "--http-listen", $"127.0.0.1:{http}",
                 "--cache-dir", cache]);
            await server.WaitForHttpAsync(http, "/readyz", s => s == 200, TimeSpan.FromSeconds(60));
            var (status, text) = await ProgramProcess.GetAsync(http, "/metrics");
            Assert.That(status, Is.EqualTo(200));
            var exported = TypeLine().Matches(text).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);

            // The series a query can select: a histogram named N has only N_bucket, N_sum and N_count.
            var series = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, type) in exported)
            {
                if (type != "histogram") series.Add(name);
                if (type is "histogram" or "summary") series.UnionWith([$"{name}_sum", $"{name}_count"]);
                if (type == "histogram") series.Add($"{name}_bucket");
            }
            var missing = queried.Where(name => !series.Contains(name)).ToList();
            TestContext.Out.WriteLine($"dashboard queries {queried.Count} metrics; exported now: {queried.Count - missing.Count}");
            TestContext.Out.WriteLine($"announced, not exported yet: {(AddedByTheFetcher.Any(a => !series.Contains(a)) ? string.Join(", ", AddedByTheFetcher.Where(a => !series.Contains(a))) : "(none)")}");
            var arrived = AddedByTheFetcher.Where(series.Contains).ToList();
            if (arrived.Count > 0) TestContext.Out.WriteLine($"now exported, remove from AddedByTheFetcher: {string.Join(", ", arrived)}");
            Assert.That(missing.Except(AddedByTheFetcher), Is.Empty, "metrics the dashboard queries that the program does not export");
        }
        finally
        {
            TempTree.Delete(cache);
        }
    }

    /// <summary>Metric names in every query and template query: rtrcache_*, process_* and dotnet_* identifiers.</summary>
    private static SortedSet<string> QueriedMetrics()
    {
        string text = File.ReadAllText(DashboardPath);
        using var doc = JsonDocument.Parse(text);
        var expressions = new List<string>();
        Collect(doc.RootElement, expressions);
        return new SortedSet<string>(expressions.SelectMany(e => MetricName().Matches(e).Select(m => m.Value)), StringComparer.Ordinal);
    }

    private static void Collect(JsonElement element, List<string> into)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in element.EnumerateObject())
                {
                    if (p.Name is "expr" or "definition" or "query" && p.Value.ValueKind == JsonValueKind.String) into.Add(p.Value.GetString()!);
                    else Collect(p.Value, into);
                }
                break;
            case JsonValueKind.Array:
                foreach (var e in element.EnumerateArray()) Collect(e, into);
                break;
        }
    }

    [GeneratedRegex(@"(?<![A-Za-z0-9_:])(?:rtrcache|process|dotnet)_[a-z0-9_]+")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"^# TYPE (\S+) (\S+)$", RegexOptions.Multiline)]
    private static partial Regex TypeLine();
}
