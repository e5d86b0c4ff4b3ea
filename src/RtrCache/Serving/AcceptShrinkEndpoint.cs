using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace RtrCache.Host.Serving;

/// <summary>
/// The admin API, off unless <c>--enable-admin-api</c>: <c>POST /api/v1/refresh</c> starts an update round now
/// (like SIGUSR1, for operators without shell access to the process) and <c>POST /api/v1/accept-shrink</c>
/// below. Without the option both answer 403 with a problem document naming it.
/// </summary>
public static class RefreshEndpoint
{
    public const string Path = "/api/v1/refresh";

    public static IEndpointRouteBuilder MapRefresh(this IEndpointRouteBuilder endpoints, ServeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        endpoints.MapPost(Path, (RunTrigger trigger, HttpContext context) =>
        {
            if (!settings.EnableAdminApi)
                return Results.Problem(
                    title: "Admin API disabled",
                    detail: $"POST {Path} starts an update round; start rtrcache serve with --enable-admin-api to allow it.",
                    statusCode: StatusCodes.Status403Forbidden);
            trigger.Request($"POST {Path} from {context.Connection.RemoteIpAddress}", force: true);
            return Results.Json(new { requested = true }, statusCode: StatusCodes.Status202Accepted);
        });
        return endpoints;
    }
}

/// <summary>
/// <c>POST /api/v1/accept-shrink</c>: the operator's "yes, publish it" for a payload the shrink guard holds
/// back. It changes what every router is told, so it exists only with <c>--enable-admin-api</c>; without it
/// the route answers 403 with a problem document naming the option (not 404, so a mistyped setup is obvious).
/// </summary>
public static class AcceptShrinkEndpoint
{
    public const string Path = "/api/v1/accept-shrink";

    public static IEndpointRouteBuilder MapAcceptShrink(this IEndpointRouteBuilder endpoints, ServeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        endpoints.MapPost(Path, async (PayloadPipeline pipeline, CancellationToken ct) =>
        {
            if (!settings.EnableAdminApi)
                return Results.Problem(
                    title: "Admin API disabled",
                    detail: $"POST {Path} changes what routers are served; start rtrcache serve with --enable-admin-api to allow it.",
                    statusCode: StatusCodes.Status403Forbidden);
            if (await pipeline.AcceptShrinkAsync(ct).ConfigureAwait(false) is not var (published, hold))
                return Results.Problem(
                    title: "Nothing held back",
                    detail: "The shrink guard holds no payload back; the served serial is current.",
                    statusCode: StatusCodes.Status409Conflict);
            return Results.Json(new
            {
                serial = published.Serial.Value,
                vrps = published.Payload.VrpCount,
                aspas = published.Payload.AspaCount,
                routerKeys = published.Payload.RouterKeyCount,
                accepted = hold.Reason,
            });
        });
        return endpoints;
    }
}
