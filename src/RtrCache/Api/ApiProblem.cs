using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RtrCache.Host.Api;

/// <summary>
/// A request the API cannot answer as asked: thrown by the parsing helpers and turned into one RFC 9457 (ex
/// 7807) problem document by <see cref="ApiHandler"/>. Bad input is the caller's mistake and must come back as a
/// 4xx with a message naming the parameter, never as a 500.
/// </summary>
public sealed class ApiException : Exception
{
    public ApiException(int status, string detail, string? parameter = null)
        : base(detail)
    {
        Status = status;
        Parameter = parameter;
    }

    public int Status { get; }

    /// <summary>The query parameter, route value or body member at fault, also sent as the <c>parameter</c> member.</summary>
    public string? Parameter { get; }

    /// <summary>400 for <paramref name="parameter"/>, with <paramref name="detail"/> as the message.</summary>
    public static ApiException BadParameter(string parameter, string detail) => new(StatusCodes.Status400BadRequest, detail, parameter);
}

/// <summary>Writes <c>application/problem+json</c> responses.</summary>
public static class ApiProblem
{
    public const string ContentType = "application/problem+json";

    /// <summary>
    /// Writes a problem document: <c>type</c> is left out (it defaults to <c>about:blank</c>), so <c>title</c>
    /// is the HTTP reason phrase as RFC 9457 §4.2.1 asks, and <c>detail</c> says what exactly was wrong.
    /// </summary>
    public static async Task WriteAsync(HttpContext context, int status, string detail, string? parameter = null)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-store";
        var w = new Utf8JsonWriter(response.BodyWriter, ApiJson.WriterOptions);
        await using (w.ConfigureAwait(false))
        {
            w.WriteStartObject();
            w.WriteString("title", ReasonPhrases.GetReasonPhrase(status));
            w.WriteNumber("status", status);
            w.WriteString("detail", detail);
            if (parameter is not null) w.WriteString("parameter", parameter);
            w.WriteString("instance", context.Request.Path.Value ?? "");
            w.WriteEndObject();
        }
        await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}

/// <summary>
/// Runs every API handler: turns <see cref="ApiException"/> into its problem document, a client that went away
/// into nothing, and anything unexpected into a logged 500 problem (when the response has not started yet).
/// </summary>
internal static class ApiHandler
{
    public static RequestDelegate Wrap(Func<HttpContext, Task> handler) => async context =>
    {
        try
        {
            await handler(context).ConfigureAwait(false);
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            await ApiProblem.WriteAsync(context, e.Status, e.Message, e.Parameter).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client closed the connection (e.g. stopped reading an export); nothing to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
        {
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("RtrCache.Host.Api")
                .LogError(e, "HTTP API {Method} {Path} failed", context.Request.Method, context.Request.Path);
            context.Response.Clear();
            await ApiProblem.WriteAsync(context, StatusCodes.Status500InternalServerError,
                "The request failed inside the server; the log has the details.").ConfigureAwait(false);
        }
    };
}
