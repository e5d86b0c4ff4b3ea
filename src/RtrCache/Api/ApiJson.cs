using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using RtrCache.Payload;

namespace RtrCache.Host.Api;

/// <summary>
/// JSON for the API, written with <see cref="Utf8JsonWriter"/> (no reflection, no intermediate objects). Entry
/// objects use rpki-client's member names (<c>asn</c>, <c>prefix</c>, <c>maxLength</c>; <c>customer_asid</c>,
/// <c>providers</c>; <c>ski</c>, <c>pubkey</c>) so that scripts written for rpki-client JSON read ours too; the
/// envelope members are camelCase. Times are RFC 3339 UTC with milliseconds (<c>2026-11-25T10:00:00.000Z</c>).
/// </summary>
public static class ApiJson
{
    public const string ContentType = "application/json; charset=utf-8";

    /// <summary>Compact output; '+' and '/' of base64 keys unescaped (the default encoder writes \u002B).</summary>
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void WriteVrp(Utf8JsonWriter w, Vrp vrp)
    {
        w.WriteStartObject();
        w.WriteNumber("asn", vrp.Asn);
        w.WriteString("prefix", vrp.Prefix.ToString());
        w.WriteNumber("maxLength", vrp.MaxLength);
        w.WriteEndObject();
    }

    public static void WriteVrps(Utf8JsonWriter w, string name, IEnumerable<Vrp> vrps)
    {
        w.WriteStartArray(name);
        foreach (var v in vrps) WriteVrp(w, v);
        w.WriteEndArray();
    }

    public static void WriteAspa(Utf8JsonWriter w, Aspa aspa)
    {
        w.WriteStartObject();
        w.WriteNumber("customer_asid", aspa.Customer);
        w.WriteStartArray("providers");
        foreach (uint p in aspa.Providers) w.WriteNumberValue(p);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void WriteRouterKey(Utf8JsonWriter w, RouterKey key)
    {
        w.WriteStartObject();
        w.WriteNumber("asn", key.Asn);
        w.WriteString("ski", Convert.ToHexString(key.Ski.AsSpan()));
        w.WriteBase64String("pubkey", key.SubjectPublicKeyInfo.AsSpan());
        w.WriteEndObject();
    }

    public static string Time(DateTimeOffset time)
        => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static void WriteTime(Utf8JsonWriter w, string name, DateTimeOffset? time)
    {
        if (time is { } t) w.WriteString(name, Time(t));
        else w.WriteNull(name);
    }

    public static void WriteNumberOrNull(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    /// <summary>
    /// Sends a JSON document built by <paramref name="write"/> with <paramref name="status"/>. The document goes
    /// straight into the response pipe; the API's documents are bounded (paging caps lists), so one flush at the
    /// end is enough.
    /// </summary>
    public static async Task SendAsync(HttpContext context, Action<Utf8JsonWriter> write, int status = StatusCodes.Status200OK)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-store";
        var w = new Utf8JsonWriter(response.BodyWriter, WriterOptions);
        await using (w.ConfigureAwait(false))
        {
            write(w);
        }
        await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
