using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;
using RtrCache.Fetch;
using RtrCache.Host.Api;
using RtrCache.Host.Input;
using RtrCache.Host.Metrics;
using RtrCache.Rtr.Cache;
using RtrCache.Rtr.Server;

namespace RtrCache.Host.Serving;

/// <summary>
/// Builds the one Kestrel host that serves both kinds of endpoint: RTR listeners run
/// <see cref="RtrConnectionHandler"/> on raw connections, HTTP listeners serve health, readiness and metrics.
/// </summary>
public static class ServeHost
{
    /// <summary>The payload input: an rpki-client JSON file or URL, a local repository tree, or repositories fetched into the cache.</summary>
    private static PayloadSource CreateSource(ServeSettings settings, ILoggerFactory loggers)
    {
        if (settings.JsonSource is { } json) return JsonPayloadSource.Create(json);
        string tals = settings.TalDirectory ?? throw new ArgumentException("ServeSettings needs JsonSource or TalDirectory");
        if (settings.RepositoryDirectory is { } repository) return new RepositorySource(tals, repository);
        var fetch = settings.Fetch ?? throw new ArgumentException("ServeSettings.TalDirectory needs RepositoryDirectory or Fetch");
        var options = FetchOptionsFactory.Create(fetch, FetchOptionsFactory.LogTo(loggers.CreateLogger("RtrCache.Fetch")));
        var fetcher = new RepositoryFetcher(FetchOptionsFactory.RepositoryDirectory(settings.CacheDirectory), options);
        return new RepositorySource(tals, fetcher, fetch.RunTimeout, loggers.CreateLogger<RepositorySource>());
    }

    public static WebApplication Build(ServeSettings settings, string[]? hostArgs = null)
    {
        var builder = WebApplication.CreateSlimBuilder(hostArgs ?? []);
        builder.Logging.ClearProviders();
        if (settings.LogFormat == LogFormat.Json)
        {
            // One JSON object per line with the message template's values under "State", for log collectors.
            builder.Logging.AddJsonConsole(o =>
            {
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
                o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
            });
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                o.UseUtcTimestamp = true;
            });
        }
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);

        var metrics = new RtrCacheMetrics();
        var options = new RtrServerOptions
        {
            MaxVersion = settings.MaxVersion,
            MaxConnections = settings.MaxConnections,
            MaxConnectionsPerAddress = settings.MaxConnectionsPerAddress,
            Allow = settings.Allow,
            NotifyInterval = settings.NotifyInterval,
            PartialPduTimeout = settings.PduTimeout,
            WriteStallTimeout = settings.WriteStallTimeout,
        };
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(metrics);
        builder.Services.AddSingleton<IRtrObserver>(metrics);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<SnapshotStore>();
        builder.Services.AddSingleton<RtrSessionRegistry>();
        builder.Services.AddSingleton<PayloadSource>(sp =>
        {
            var source = CreateSource(settings, sp.GetRequiredService<ILoggerFactory>());
            if (source is RepositorySource repository)
            {
                var status = sp.GetRequiredService<RunStatus>();
                var attribution = sp.GetRequiredService<TrustAnchorPayloads>();
                repository.RunStarted += status.RunStarted;
                repository.RunFinished += run =>
                {
                    if (run.Result is { } result)
                    {
                        metrics.Runs.RunCompleted(result, run.Fetch, run.FinishedAt);
                        attribution.Update(result.TrustAnchors.Where(t => t.Error is null).Select(t => (t.Name, t.Payload)));
                    }
                    else metrics.Runs.RunFailed();
                    status.RunFinished(RunReports.From(run));
                };
            }
            return source;
        });
        builder.Services.AddSingleton(sp => new SlurmSource(settings.SlurmFiles));
        builder.Services.AddSingleton<RunTrigger>();
        builder.Services.AddRtrCacheApi();
        builder.Services.AddSingleton<SafeguardMetrics>();
        builder.Services.AddSingleton<ServingState>();
        builder.Services.AddSingleton<Persistence.StateStore>();
        builder.Services.AddSingleton<IStatusContributor, SafeguardsStatus>();
        var tlsErrors = new List<string>();
        var tls = RtrTls.Load(settings, DateTimeOffset.UtcNow, tlsErrors);
        if (tlsErrors.Count > 0) throw new ArgumentException(string.Join("; ", tlsErrors), nameof(settings));
        if (tls is not null) builder.Services.AddSingleton(_ => tls); // created by a factory, so disposed with the host
        builder.Services.AddSingleton<PayloadPipeline>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PayloadPipeline>());
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));

        builder.WebHost.UseSockets(o =>
        {
            o.MaxWriteBufferSize = 256 * 1024;
            o.UnsafePreferInlineScheduling = true;
        });
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            foreach (var ep in settings.RtrListen)
                k.Listen(ep, l => l.UseConnectionHandler<RtrConnectionHandler>());
            if (tls is not null)
            {
                var tlsLogger = k.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("RtrCache.Host.Serving.RtrTls");
                // TLS terminates in Kestrel; the RTR handler then reads the decrypted stream like a plain connection.
                foreach (var ep in settings.RtrTlsListen)
                    k.Listen(ep, l =>
                    {
                        l.UseHttps(tls.CreateOptions(tlsLogger));
                        l.UseConnectionHandler<RtrConnectionHandler>();
                    });
            }
            foreach (var ep in settings.HttpListen)
                k.Listen(ep);
        });

        var app = builder.Build();
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", (SnapshotStore store, ServingState serving, TimeProvider time) =>
        {
            var report = Readiness.Evaluate(store.Current, serving.Current, time.GetUtcNow(), settings.EffectiveMaxStaleness);
            return Results.Text(report.Text + "\n", statusCode: report.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        app.MapAcceptShrink(settings);
        app.MapRefresh(settings);
        app.MapMetrics("/metrics", metrics.Registry);
        app.MapRtrCacheApi();
        return app;
    }
}
