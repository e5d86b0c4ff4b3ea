using System.Text.Json;
using Microsoft.AspNetCore.Http;
using RtrCache.Payload;
using RtrCache.Payload.Verification;
using RtrCache.Rtr.Cache;

namespace RtrCache.Host.Api;

/// <summary>
/// <c>GET /api/v1/aspa/verify?path=…&amp;direction=upstream|downstream[&amp;neighbor=ASN]</c> and
/// <c>POST /api/v1/aspa/verify</c> with <c>{"path": "64500 64501" | [64500, 64501, [64502, 64503]],
/// "direction": "upstream", "neighbor": 64500}</c>: ASPA verification of an AS_PATH against the served ASPAs.
/// </summary>
/// <remarks>
/// The path is in BGP AS_PATH (wire) order: the neighbor (most recently added AS) first, the origin last. In
/// text, an AS_SET is written in braces; in a JSON array, as a nested array. <c>direction</c> defaults to
/// upstream; <c>neighbor</c>, when given, adds the first-AS check.
/// </remarks>
internal sealed class AspaVerifyEndpoint(SnapshotStore store)
{
    /// <summary>Largest POST body accepted; a path of <see cref="AsPath.MaxAsns"/> ASNs fits many times over.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public Task GetAsync(HttpContext context)
    {
        var q = new ApiQuery(context.Request, "path", "direction", "neighbor");
        string pathText = q.Get("path") ?? throw ApiException.BadParameter("path",
            "path is required: the AS_PATH in BGP order (neighbor first, origin last), e.g. path=64500 64501 {64502,64503}");
        var path = ParsePathText(pathText);
        var direction = ParseDirection(q.Get("direction"));
        uint? neighbor = q.Asn("neighbor");
        return RespondAsync(context, path, direction, neighbor);
    }

    public async Task PostAsync(HttpContext context)
    {
        _ = new ApiQuery(context.Request);
        if (context.Request.ContentLength > MaxBodyBytes) throw TooLarge();
        var body = new MemoryStream();
        var buffer = new byte[8192];
        int n;
        while ((n = await context.Request.Body.ReadAsync(buffer, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (body.Length + n > MaxBodyBytes) throw TooLarge();
            body.Write(buffer, 0, n);
        }
        var (path, direction, neighbor) = ParseBody(body.ToArray());
        await RespondAsync(context, path, direction, neighbor).ConfigureAwait(false);
    }

    private Task RespondAsync(HttpContext context, AsPath path, AspaDirection direction, uint? neighbor)
    {
        var snapshot = ApiPayload.Current(store);
        var result = AspaVerifier.Verify(snapshot.Payload.Payload, path, direction, neighbor);
        return ApiJson.SendAsync(context, w => WriteResult(w, snapshot.Serial, path, neighbor, result));
    }

    /// <summary>
    /// The result document, shared with <c>rtrcache aspa-verify --json FILE</c> so both print the same thing:
    /// <code>
    /// {"serial": 7, "path": "64510 64530 64520", "direction": "upstream", "neighbor": null,
    ///  "state": "invalid", "reason": "not-provider+", "description": "...",
    ///  "compressedPath": [64520, 64530, 64510],          // origin first: the spec's A(1)..A(N)
    ///  "ramps": {"n": 3, "maxUp": 2, "minUp": 2, "maxDown": null, "minDown": null},
    ///  "decidingHops": [{"index": 2, "customer": 64530, "provider": 64510, "check": "not-provider+", "ramp": "up"}],
    ///  "upHops": [...], "downHops": [...], "segmentIndex": null}
    /// </code>
    /// <c>index</c> is the customer's 1-based position in <c>compressedPath</c> (origin = 1).
    /// </summary>
    public static void WriteResult(Utf8JsonWriter w, Serial? serial, AsPath path, uint? neighbor, AspaVerificationResult r)
    {
        w.WriteStartObject();
        ApiJson.WriteNumberOrNull(w, "serial", serial?.Value);
        w.WriteString("path", path.ToString());
        w.WriteString("direction", r.Direction == AspaDirection.Upstream ? "upstream" : "downstream");
        ApiJson.WriteNumberOrNull(w, "neighbor", neighbor);
        w.WriteString("state", VerdictName(r.Verdict));
        w.WriteString("reason", ReasonName(r.Reason));
        w.WriteString("description", r.Description);
        w.WriteStartArray("compressedPath");
        foreach (uint asn in r.CompressedPath) w.WriteNumberValue(asn);
        w.WriteEndArray();
        w.WriteStartObject("ramps");
        w.WriteNumber("n", r.N);
        ApiJson.WriteNumberOrNull(w, "maxUp", r.MaxUpRamp);
        ApiJson.WriteNumberOrNull(w, "minUp", r.MinUpRamp);
        ApiJson.WriteNumberOrNull(w, "maxDown", r.MaxDownRamp);
        ApiJson.WriteNumberOrNull(w, "minDown", r.MinDownRamp);
        w.WriteEndObject();
        WriteHops(w, "decidingHops", r.DecidingHops);
        WriteHops(w, "upHops", r.UpHops);
        WriteHops(w, "downHops", r.DownHops);
        ApiJson.WriteNumberOrNull(w, "segmentIndex", r.SegmentIndex);
        w.WriteEndObject();
    }

    public static string VerdictName(AspaVerdict verdict) => verdict switch
    {
        AspaVerdict.Valid => "valid",
        AspaVerdict.Invalid => "invalid",
        _ => "unknown",
    };

    public static string ReasonName(AspaReason reason) => reason switch
    {
        AspaReason.Attested => "attested",
        AspaReason.EmptyPath => "empty-path",
        AspaReason.NeighborMismatch => "neighbor-mismatch",
        AspaReason.AsSet => "as-set",
        AspaReason.NotProviderPlus => "not-provider+",
        _ => "no-attestation",
    };

    public static string CheckName(AspaHopCheck check) => check switch
    {
        AspaHopCheck.ProviderPlus => "provider+",
        AspaHopCheck.NotProviderPlus => "not-provider+",
        _ => "no-attestation",
    };

    private static void WriteHops(Utf8JsonWriter w, string name, IReadOnlyList<AspaHop> hops)
    {
        w.WriteStartArray(name);
        foreach (var h in hops)
        {
            w.WriteStartObject();
            w.WriteNumber("index", h.Index);
            w.WriteNumber("customer", h.Customer);
            w.WriteNumber("provider", h.Provider);
            w.WriteString("check", CheckName(h.Check));
            w.WriteString("ramp", h.Up ? "up" : "down");
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    public static AsPath ParsePathText(string text)
        => AsPath.TryParse(text, out var path, out var error) ? path : throw ApiException.BadParameter("path", "path: " + error);

    public static AspaDirection ParseDirection(string? text) => text switch
    {
        null or "upstream" => AspaDirection.Upstream,
        "downstream" => AspaDirection.Downstream,
        _ => throw ApiException.BadParameter("direction", $"direction '{ApiQuery.Clip(text)}': expected upstream (route from a customer, peer or route server) or downstream (route from a provider)"),
    };

    private static ApiException TooLarge()
        => new(StatusCodes.Status413PayloadTooLarge, $"the request body is larger than {MaxBodyBytes} bytes");

    /// <summary>Reads the POST body; every mistake becomes a 400 naming the member.</summary>
    private static (AsPath Path, AspaDirection Direction, uint? Neighbor) ParseBody(byte[] body)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw ApiException.BadParameter("body", "the request body is not valid JSON: " + ApiQuery.Clip(e.Message, 200));
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw ApiException.BadParameter("body", "the request body must be a JSON object such as {\"path\": \"64500 64501\", \"direction\": \"upstream\"}");
            AsPath? path = null;
            AspaDirection direction = AspaDirection.Upstream;
            uint? neighbor = null;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var member in root.EnumerateObject())
            {
                if (!seen.Add(member.Name)) throw ApiException.BadParameter(member.Name, $"{member.Name}: given twice");
                switch (member.Name)
                {
                    case "path":
                        path = member.Value.ValueKind switch
                        {
                            JsonValueKind.String => ParsePathText(member.Value.GetString()!),
                            JsonValueKind.Array => ParsePathArray(member.Value),
                            _ => throw ApiException.BadParameter("path", "path must be a string (\"64500 64501 {64502,64503}\") or an array ([64500, 64501, [64502, 64503]])"),
                        };
                        break;
                    case "direction":
                        direction = member.Value.ValueKind == JsonValueKind.String
                            ? ParseDirection(member.Value.GetString())
                            : throw ApiException.BadParameter("direction", "direction must be the string \"upstream\" or \"downstream\"");
                        break;
                    case "neighbor":
                        neighbor = member.Value.ValueKind == JsonValueKind.Null ? null : ReadAsn(member.Value, "neighbor");
                        break;
                    default:
                        throw ApiException.BadParameter(member.Name, $"unknown member '{ApiQuery.Clip(member.Name)}'; the body takes path, direction and neighbor");
                }
            }
            return (path ?? throw ApiException.BadParameter("path", "path is required"), direction, neighbor);
        }
    }

    private static AsPath ParsePathArray(JsonElement array)
    {
        var segments = new List<AsPathSegment>();
        var sequence = new List<uint>();
        int count = 0;
        int index = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Array)
            {
                var set = new List<uint>();
                foreach (var member in item.EnumerateArray()) set.Add(ReadAsn(member, $"path[{index}]"));
                if (set.Count == 0) throw ApiException.BadParameter("path", $"path[{index}]: an AS_SET needs at least one AS");
                count += set.Count;
                if (sequence.Count > 0)
                {
                    segments.Add(new AsPathSegment(false, [.. sequence]));
                    sequence.Clear();
                }
                segments.Add(new AsPathSegment(true, [.. set]));
            }
            else
            {
                sequence.Add(ReadAsn(item, $"path[{index}]"));
                count++;
            }
            if (count > AsPath.MaxAsns) throw ApiException.BadParameter("path", $"path: more than {AsPath.MaxAsns} AS numbers");
            index++;
        }
        if (sequence.Count > 0) segments.Add(new AsPathSegment(false, [.. sequence]));
        return new AsPath(segments);
    }

    /// <summary>A number 0..4294967295, or a string such as "AS64500".</summary>
    private static uint ReadAsn(JsonElement e, string where)
    {
        if (e.ValueKind == JsonValueKind.Number && e.TryGetUInt32(out uint n)) return n;
        if (e.ValueKind == JsonValueKind.String && AsPath.TryParseAsn(e.GetString(), out uint s)) return s;
        string name = where.Split('[')[0];
        throw ApiException.BadParameter(name, $"{where}: expected an AS number 0..4294967295 (a number or a string like \"AS64500\"), found {ApiQuery.Clip(e.GetRawText())}");
    }
}
