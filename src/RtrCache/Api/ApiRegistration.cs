using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace RtrCache.Host.Api;

/// <summary>
/// Wires the HTTP API (<c>/api/v1/…</c> and the <c>/json</c> export) into the serve host: services with
/// <see cref="AddRtrCacheApi"/> before the host is built, routes with <see cref="MapRtrCacheApi"/> after. The
/// API only reads the snapshot store and registries; it never changes what routers are served.
/// </summary>
public static class ApiRegistration
{
    /// <summary>
    /// Registers the API's services: <see cref="RunStatus"/> (for the validation loop to fill),
    /// <see cref="ApiServerInfo"/>, <see cref="PayloadIndexCache"/>, and the built-in status sections <c>rtr</c> and
    /// <c>run</c>. Add further <see cref="IStatusContributor"/>s after this call to append sections.
    /// </summary>
    public static IServiceCollection AddRtrCacheApi(this IServiceCollection services)
    {
        services.AddSingleton<ApiServerInfo>();
        services.AddSingleton<RunStatus>();
        services.AddSingleton<TrustAnchorPayloads>();
        services.AddSingleton<PayloadIndexCache>();
        services.AddSingleton<IStatusContributor, RtrSessionsStatusContributor>();
        services.AddSingleton<IStatusContributor, RunStatusContributor>();
        services.AddSingleton<StatusEndpoint>();
        services.AddSingleton<PayloadEndpoints>();
        services.AddSingleton<ExportEndpoints>();
        services.AddSingleton<AspaVerifyEndpoint>();
        return services;
    }

    /// <summary>Maps every API route. Requires <see cref="AddRtrCacheApi"/> on the builder's services.</summary>
    public static WebApplication MapRtrCacheApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var sp = app.Services;
        // Resolved now, not on the first request: the start time is taken here, and a misconfigured status
        // contributor (duplicate name) stops start-up instead of failing every status request.
        var status = sp.GetRequiredService<StatusEndpoint>();
        var payload = sp.GetRequiredService<PayloadEndpoints>();
        var exports = sp.GetRequiredService<ExportEndpoints>();
        var aspa = sp.GetRequiredService<AspaVerifyEndpoint>();

        app.MapGet("/api/v1/status", ApiHandler.Wrap(status.HandleAsync));
        app.MapGet("/api/v1/vrps", ApiHandler.Wrap(payload.VrpsAsync));
        app.MapGet("/api/v1/aspas", ApiHandler.Wrap(payload.AspasAsync));
        app.MapGet("/api/v1/router-keys", ApiHandler.Wrap(payload.RouterKeysAsync));
        app.MapGet("/api/v1/validity", ApiHandler.Wrap(payload.ValidityAsync));
        app.MapGet("/api/v1/validity/{asn}/{**prefix}", ApiHandler.Wrap(payload.ValidityAsync));
        app.MapGet("/api/v1/aspa/verify", ApiHandler.Wrap(aspa.GetAsync));
        app.MapPost("/api/v1/aspa/verify", ApiHandler.Wrap(aspa.PostAsync));
        app.MapGet("/api/v1/export/json", ApiHandler.Wrap(exports.JsonAsync));
        app.MapGet("/json", ApiHandler.Wrap(exports.JsonAsync));
        app.MapGet("/api/v1/export/csv", ApiHandler.Wrap(exports.CsvAsync));
        app.MapGet("/api/v1/export/openbgpd", ApiHandler.Wrap(exports.OpenBgpdAsync));
        app.MapGet("/api/v1/export/bird", ApiHandler.Wrap(exports.BirdAsync));
        // Anything else under /api answers with a problem document too, so clients can rely on one error shape.
        app.Map("/api/{**rest}", ApiHandler.Wrap(context => throw new ApiException(StatusCodes.Status404NotFound,
            $"no API endpoint {context.Request.Method} {ApiQuery.Clip(context.Request.Path.Value ?? "", 200)}; see the HTTP API section of the README")));
        return app;
    }
}
