using System.Buffers;
using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using RtrCache.Host.Api;
using RtrCache.Payload.Formats;
using RtrCache.Payload.Verification;

namespace RtrCache.Host.Cli;

/// <summary>
/// <c>rtrcache aspa-verify --path "64500 64501 {64502,64503}" [--direction upstream|downstream] [--neighbor ASN]
/// (--json FILE | --url http://HOST:PORT) [--format text|json]</c>: ASPA verification of one AS_PATH, either against
/// the ASPAs of an rpki-client JSON file (computed here) or against what a running rtrcache serves (its
/// <c>/api/v1/aspa/verify</c> endpoint). The path is in BGP AS_PATH order: neighbor first, origin last.
/// </summary>
/// <remarks>
/// The exit code carries the verdict, so scripts can branch on it: 0 Valid, 1 Invalid, 3 Unknown, and — as for
/// the other commands — 2 when no verdict could be produced (bad option, unparsable path, unreadable or rejected
/// file, server unreachable or answering with an error).
/// </remarks>
public static class AspaVerifyCommand
{
    public const int Valid = 0;
    public const int Invalid = 1;

    /// <summary>Usage or input error (the convention of every rtrcache command).</summary>
    public const int UsageError = 2;

    public const int Unknown = 3;

    /// <summary>How long a --url query may take.</summary>
    private static readonly TimeSpan HttpTimeout = TimeSpan.FromSeconds(30);

    public static Command Create()
    {
        // Options take zero or one value and are checked by hand, so that every usage mistake exits with 2; a parse
        // error would exit with 1, which here means Invalid.
        var path = new Option<string?>("--path") { Description = "AS_PATH in BGP order, neighbor first, origin last; AS_SETs in braces, e.g. \"64500 64501 {64502,64503}\"", Arity = ArgumentArity.ZeroOrOne };
        var direction = new Option<string?>("--direction") { Description = "upstream (route from a customer, peer or route server; default) or downstream (route from a provider)", Arity = ArgumentArity.ZeroOrOne };
        var neighbor = new Option<string?>("--neighbor") { Description = "Neighbor AS of the session; when given, the first AS of the path must be it", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<string?>("--json") { Description = "rpki-client JSON file whose ASPAs to use", Arity = ArgumentArity.ZeroOrOne };
        var url = new Option<string?>("--url") { Description = "Base URL of a running rtrcache HTTP listener, e.g. http://127.0.0.1:8323", Arity = ArgumentArity.ZeroOrOne };
        var format = new Option<string?>("--format") { Description = "Output: text (default) or json (the /api/v1/aspa/verify document)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("aspa-verify", "Verify an AS_PATH with ASPA (draft-ietf-sidrops-aspa-verification); exit 0 valid, 1 invalid, 3 unknown, 2 error")
        {
            path, direction, neighbor, json, url, format,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, ct) =>
        {
            var stderr = parse.InvocationConfiguration.Error;
            if (parse.UnmatchedTokens.Count > 0)
                return Usage(stderr, $"unexpected argument '{parse.UnmatchedTokens[0]}'");
            using var http = new HttpClient { Timeout = HttpTimeout };
            return await RunAsync(new Request(parse.GetValue(path), parse.GetValue(direction), parse.GetValue(neighbor),
                    parse.GetValue(json), parse.GetValue(url), parse.GetValue(format)),
                parse.InvocationConfiguration.Output, stderr, http, ct).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>The options as given (null when absent).</summary>
    internal sealed record Request(string? Path, string? Direction, string? Neighbor, string? JsonFile, string? Url, string? Format);

    internal static async Task<int> RunAsync(Request request, TextWriter output, TextWriter error, HttpClient http, CancellationToken ct)
    {
        if (request.Path is null) return Usage(error, "--path is required, e.g. --path \"64500 64501 {64502,64503}\"");
        if (!AsPath.TryParse(request.Path, out var path, out var pathError)) return Usage(error, $"--path: {pathError}");
        AspaDirection direction;
        switch (request.Direction)
        {
            case null or "upstream": direction = AspaDirection.Upstream; break;
            case "downstream": direction = AspaDirection.Downstream; break;
            default: return Usage(error, $"--direction {request.Direction}: expected upstream or downstream");
        }
        uint? neighbor = null;
        if (request.Neighbor is not null)
        {
            if (!AsPath.TryParseAsn(request.Neighbor, out uint n)) return Usage(error, $"--neighbor {request.Neighbor}: expected an AS number such as 64500 or AS64500");
            neighbor = n;
        }
        string format = request.Format ?? "text";
        if (format is not ("text" or "json")) return Usage(error, $"--format {format}: expected text or json");
        if ((request.JsonFile is null) == (request.Url is null)) return Usage(error, "give exactly one of --json FILE and --url http://HOST:PORT");

        byte[] document;
        if (request.JsonFile is { } file)
        {
            RpkiClientJsonResult parsed;
            try
            {
                parsed = RpkiClientJson.Parse(await File.ReadAllBytesAsync(file, ct).ConfigureAwait(false), DateTimeOffset.UtcNow);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Usage(error, $"--json {file}: {e.Message}");
            }
            if (!parsed.Success) return Usage(error, $"--json {file}: {parsed.Error}");
            var result = AspaVerifier.Verify(parsed.Set, path, direction, neighbor);
            var buffer = new ArrayBufferWriter<byte>();
            using (var w = new Utf8JsonWriter(buffer, ApiJson.WriterOptions))
                AspaVerifyEndpoint.WriteResult(w, null, path, neighbor, result);
            document = buffer.WrittenSpan.ToArray();
        }
        else
        {
            if (!Uri.TryCreate(request.Url, UriKind.Absolute, out var baseUri) || (baseUri.Scheme != Uri.UriSchemeHttp && baseUri.Scheme != Uri.UriSchemeHttps))
                return Usage(error, $"--url {request.Url}: expected an http(s) URL such as http://127.0.0.1:8323");
            var query = new StringBuilder("api/v1/aspa/verify?path=").Append(Uri.EscapeDataString(request.Path))
                .Append("&direction=").Append(direction == AspaDirection.Upstream ? "upstream" : "downstream");
            if (neighbor is uint nb) query.Append("&neighbor=").Append(nb.ToString(CultureInfo.InvariantCulture));
            var target = new Uri(new Uri(baseUri.ToString().TrimEnd('/') + "/"), query.ToString());
            try
            {
                using var message = new HttpRequestMessage(HttpMethod.Get, target);
                message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                using var response = await http.SendAsync(message, ct).ConfigureAwait(false);
                document = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                    return Usage(error, $"{target}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}{ProblemDetail(document)}");
            }
            catch (Exception e) when (e is HttpRequestException or IOException || (e is TaskCanceledException && !ct.IsCancellationRequested))
            {
                return Usage(error, $"{target}: {e.Message}");
            }
        }

        string state;
        try
        {
            using var doc = JsonDocument.Parse(document);
            state = doc.RootElement.GetProperty("state").GetString() ?? "";
            if (format == "json") output.WriteLine(Encoding.UTF8.GetString(document));
            else WriteText(output, doc.RootElement);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return Usage(error, $"the answer is not an ASPA verification result: {e.Message}");
        }
        return state switch
        {
            "valid" => Valid,
            "invalid" => Invalid,
            "unknown" => Unknown,
            _ => Usage(error, $"the answer has an unknown state '{state}'"),
        };
    }

    /// <summary>Verdict and reason on the first line, then the description, the path and the deciding hops.</summary>
    private static void WriteText(TextWriter o, JsonElement r)
    {
        o.WriteLine($"{r.GetProperty("state").GetString()} ({r.GetProperty("reason").GetString()}): {r.GetProperty("description").GetString()}");
        string serial = r.TryGetProperty("serial", out var s) && s.ValueKind == JsonValueKind.Number ? $", serial {s.GetUInt32()}" : "";
        o.WriteLine($"path: {r.GetProperty("path").GetString()} ({r.GetProperty("direction").GetString()}{serial})");
        if (r.TryGetProperty("compressedPath", out var compressed) && compressed.GetArrayLength() > 0)
            o.WriteLine("compressed, origin first: " + string.Join(" ", compressed.EnumerateArray().Select(e => e.GetUInt32().ToString(CultureInfo.InvariantCulture))));
        if (r.TryGetProperty("decidingHops", out var hops))
        {
            foreach (var h in hops.EnumerateArray())
            {
                o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"deciding {h.GetProperty("ramp").GetString()}-ramp hop {h.GetProperty("index").GetInt32()}: AS{h.GetProperty("customer").GetUInt32()} -> AS{h.GetProperty("provider").GetUInt32()} {h.GetProperty("check").GetString()}"));
            }
        }
    }

    /// <summary>The <c>detail</c> of a problem+json body, for the error message; empty if there is none.</summary>
    private static string ProblemDetail(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("detail", out var d) ? ": " + d.GetString() : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }

    private static int Usage(TextWriter error, string message)
    {
        error.WriteLine("rtrcache aspa-verify: " + message);
        return UsageError;
    }
}
