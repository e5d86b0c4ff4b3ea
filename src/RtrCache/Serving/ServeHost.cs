using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;
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
    public static WebApplication Build(ServeSettings settings, string[]? hostArgs = null)
    {
        var builder = WebApplication.CreateSlimBuilder(hostArgs ?? []);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
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
        builder.Services.AddSingleton<PayloadSource>(_ => settings.JsonSource is { } json
            ? JsonPayloadSource.Create(json)
            : new RepositorySource(
                settings.TalDirectory ?? throw new ArgumentException("ServeSettings needs JsonSource or TalDirectory and RepositoryDirectory"),
                settings.RepositoryDirectory ?? throw new ArgumentException("ServeSettings.TalDirectory needs RepositoryDirectory")));
        builder.Services.AddSingleton(sp => new SlurmSource(settings.SlurmFiles));
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
            foreach (var ep in settings.HttpListen)
                k.Listen(ep);
        });

        var app = builder.Build();
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", (SnapshotStore store) =>
        {
            var current = store.Current;
            return current is null
                ? Results.Text("not ready: no payload loaded yet\n", statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Text($"ready: serial {current.Serial}, {current.Payload.Payload}\n");
        });
        app.MapMetrics("/metrics", metrics.Registry);
        return app;
    }
}
