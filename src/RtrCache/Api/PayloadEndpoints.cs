using System.Text.Json;
using Microsoft.AspNetCore.Http;
using RtrCache.Payload;
using RtrCache.Payload.Verification;
using RtrCache.Rtr.Cache;

namespace RtrCache.Host.Api;

/// <summary>
/// <c>GET /api/v1/vrps</c>, <c>/api/v1/aspas</c>, <c>/api/v1/router-keys</c> (filtered, paged lists of the served
/// payload) and <c>GET /api/v1/validity/{asn}/{prefix}</c> (RFC 6811 route origin validation).
/// </summary>
internal sealed class PayloadEndpoints(SnapshotStore store, PayloadIndexCache indexes, TrustAnchorPayloads trustAnchors)
{
    /// <summary>Page size when <c>limit</c> is not given.</summary>
    public const int DefaultLimit = 1000;

    /// <summary>Largest page: keeps one response bounded (~700 KB of VRPs); larger sets are for the exports.</summary>
    public const int MaxLimit = 10000;

    /// <summary>
    /// <c>asn</c>: origin AS; <c>prefix</c> with <c>match</c> = <c>exact</c> (default: VRPs for exactly this prefix),
    /// <c>covering</c> (VRPs whose prefix contains it: the ones route origin validation looks at) or
    /// <c>covered</c> (VRPs inside it); both filters together must both hold. <c>limit</c>/<c>offset</c> page
    /// through the result in the set's order (IPv4 first, then address, max length, prefix length, ASN).
    /// </summary>
    public Task VrpsAsync(HttpContext context)
    {
        var q = new ApiQuery(context.Request, "asn", "prefix", "match", "ta", "limit", "offset");
        uint? asn = q.Asn("asn");
        var ta = q.Get("ta") is { } taName ? trustAnchors.Get(taName) : null;
        IpPrefix? prefix = q.Prefix("prefix");
        string? matchText = q.Get("match");
        string match = q.Choice("match", "exact", "exact", "covering", "covered");
        if (matchText is not null && prefix is null)
            throw ApiException.BadParameter("match", "match needs a prefix parameter to match against");
        var (limit, offset) = Paging(q);
        var snapshot = ApiPayload.Current(store);
        var set = snapshot.Payload.Payload;

        IEnumerable<Vrp> source;
        if (asn is uint a)
        {
            // The AS index is small per AS; the prefix test runs on its VRPs only.
            source = indexes.For(set).Find(a);
            if (prefix is IpPrefix p) source = source.Where(PrefixFilter(p, match));
        }
        else if (prefix is IpPrefix p)
        {
            source = match switch
            {
                "covering" => VrpSearch.Covering(set, p),
                "covered" => VrpSearch.Covered(set, p),
                _ => VrpSearch.Exact(set, p),
            };
        }
        else if (ta is null)
        {
            // No filter: the page is a slice by position, and the total is known without counting.
            return SendPage(context, snapshot, "vrps", VrpSlice(set, offset, limit), set.VrpCount, offset, limit, ApiJson.WriteVrp);
        }
        else
        {
            source = set.Vrps;
        }
        // A served VRP is from the TA when that TA's own output holds it (VRPs only SLURM added are from none).
        if (ta is not null) source = source.Where(ta.Contains);
        return SendPage(context, snapshot, "vrps", source, limit, offset, ApiJson.WriteVrp);
    }

    /// <summary><c>asn</c>: the customer AS; <c>provider</c>: ASPAs that list this provider; paging as for VRPs.</summary>
    public Task AspasAsync(HttpContext context)
    {
        var q = new ApiQuery(context.Request, "asn", "provider", "ta", "limit", "offset");
        uint? customer = q.Asn("asn");
        var ta = q.Get("ta") is { } taName ? trustAnchors.Get(taName) : null;
        uint? provider = q.Asn("provider");
        var (limit, offset) = Paging(q);
        var snapshot = ApiPayload.Current(store);
        var set = snapshot.Payload.Payload;
        IEnumerable<Aspa> source = customer is uint c
            ? (set.FindAspa(c) is { } found ? [found] : [])
            : set.Aspas.ToArray();
        if (provider is uint p) source = source.Where(a => a.Providers.AsSpan().BinarySearch(p) >= 0);
        if (ta is not null) source = source.Where(a => ta.FindAspa(a.Customer) is not null);
        return SendPage(context, snapshot, "aspas", source, limit, offset, ApiJson.WriteAspa);
    }

    /// <summary><c>asn</c>: the router's AS; <c>ski</c>: 40 hex digits; paging as for VRPs.</summary>
    public Task RouterKeysAsync(HttpContext context)
    {
        var q = new ApiQuery(context.Request, "asn", "ski", "ta", "limit", "offset");
        uint? asn = q.Asn("asn");
        var ta = q.Get("ta") is { } taName ? trustAnchors.Get(taName) : null;
        byte[]? ski = null;
        if (q.Get("ski") is { } skiText)
        {
            try
            {
                ski = skiText.Length == 2 * RouterKey.SkiLength ? Convert.FromHexString(skiText) : null;
            }
            catch (FormatException)
            {
            }
            if (ski is null) throw ApiException.BadParameter("ski", $"ski '{ApiQuery.Clip(skiText)}': expected 40 hexadecimal digits (the 20-byte Subject Key Identifier)");
        }
        var (limit, offset) = Paging(q);
        var snapshot = ApiPayload.Current(store);
        IEnumerable<RouterKey> source = snapshot.Payload.Payload.RouterKeys.ToArray();
        if (asn is uint a) source = source.Where(k => k.Asn == a);
        if (ski is not null) source = source.Where(k => k.Ski.AsSpan().SequenceEqual(ski));
        if (ta is not null) source = source.Where(ta.ContainsRouterKey);
        return SendPage(context, snapshot, "router_keys", source, limit, offset, ApiJson.WriteRouterKey);
    }

    /// <summary>
    /// <c>GET /api/v1/validity/{asn}/{prefix}</c> (the prefix keeps its slash: <c>/api/v1/validity/64496/192.0.2.0/24</c>)
    /// or <c>GET /api/v1/validity?asn=…&amp;prefix=…</c>.
    /// </summary>
    public Task ValidityAsync(HttpContext context)
    {
        string? asnText = context.Request.RouteValues["asn"] as string;
        string? prefixText = context.Request.RouteValues["prefix"] as string;
        ApiQuery q;
        if (asnText is null)
        {
            q = new ApiQuery(context.Request, "asn", "prefix");
            asnText = q.Get("asn") ?? throw ApiException.BadParameter("asn", "asn is required (the route's origin AS)");
            prefixText = q.Get("prefix") ?? throw ApiException.BadParameter("prefix", "prefix is required (the route's prefix)");
        }
        else
        {
            q = new ApiQuery(context.Request);
            // A client may send the slash percent-encoded; routing leaves %2F as it is in a catch-all value.
            if (prefixText is not null && prefixText.Contains('%', StringComparison.Ordinal))
                prefixText = Uri.UnescapeDataString(prefixText);
            if (string.IsNullOrEmpty(prefixText)) throw ApiException.BadParameter("prefix", "prefix is required: /api/v1/validity/{asn}/{prefix}, e.g. /api/v1/validity/64496/192.0.2.0/24");
        }
        uint asn = ApiQuery.ParseAsn("asn", asnText);
        var prefix = ApiQuery.ParsePrefix("prefix", prefixText!);
        var snapshot = ApiPayload.Current(store);
        var result = RouteOriginValidator.Validate(snapshot.Payload.Payload, prefix, asn);
        return ApiJson.SendAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("serial", snapshot.Serial.Value);
            w.WriteStartObject("route");
            w.WriteNumber("asn", asn);
            w.WriteString("prefix", prefix.ToString());
            w.WriteEndObject();
            w.WriteString("state", StateName(result.State));
            if (result.InvalidReason is { } reason) w.WriteString("reason", reason);
            else w.WriteNull("reason");
            w.WriteString("description", result.Description);
            w.WriteStartObject("vrps");
            ApiJson.WriteVrps(w, "matched", result.Matched);
            ApiJson.WriteVrps(w, "unmatchedAs", result.UnmatchedAs);
            ApiJson.WriteVrps(w, "unmatchedLength", result.UnmatchedLength);
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    public static string StateName(RouteOriginState state) => state switch
    {
        RouteOriginState.Valid => "valid",
        RouteOriginState.Invalid => "invalid",
        _ => "not-found",
    };

    private static Func<Vrp, bool> PrefixFilter(IpPrefix prefix, string match) => match switch
    {
        "covering" => v => v.Prefix.Covers(prefix),
        "covered" => v => prefix.Covers(v.Prefix),
        _ => v => v.Prefix == prefix,
    };

    private static IEnumerable<Vrp> VrpSlice(PayloadSet set, int offset, int limit)
    {
        long end = Math.Min((long)offset + limit, set.VrpCount);
        for (long i = offset; i < end; i++)
            yield return i < set.V4Count ? set.V4[(int)i] : set.V6[(int)i - set.V4Count];
    }

    private static (int Limit, int Offset) Paging(ApiQuery q)
        => (q.Int("limit", DefaultLimit, 1, MaxLimit), q.Int("offset", 0, 0, int.MaxValue));

    /// <summary>
    /// <c>{"serial": N, "total": T, "offset": O, "limit": L, "NAME": [...]}</c>: <c>total</c> counts every match, so
    /// a client knows how many pages there are.
    /// </summary>
    private static Task SendPage<T>(HttpContext context, RtrSnapshot snapshot, string name, IEnumerable<T> source, int limit, int offset, Action<Utf8JsonWriter, T> writeItem)
        => ApiJson.SendAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("serial", snapshot.Serial.Value);
            w.WriteNumber("offset", offset);
            w.WriteNumber("limit", limit);
            w.WriteStartArray(name);
            long total = 0;
            foreach (var item in source)
            {
                if (total >= offset && total - offset < limit) writeItem(w, item);
                total++;
            }
            w.WriteEndArray();
            w.WriteNumber("total", total);
            w.WriteEndObject();
        });

    /// <summary>The same document for a page that is already cut, with a total known up front.</summary>
    private static Task SendPage<T>(HttpContext context, RtrSnapshot snapshot, string name, IEnumerable<T> page, long total, int offset, int limit, Action<Utf8JsonWriter, T> writeItem)
        => ApiJson.SendAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("serial", snapshot.Serial.Value);
            w.WriteNumber("offset", offset);
            w.WriteNumber("limit", limit);
            w.WriteStartArray(name);
            foreach (var item in page) writeItem(w, item);
            w.WriteEndArray();
            w.WriteNumber("total", total);
            w.WriteEndObject();
        });
}
