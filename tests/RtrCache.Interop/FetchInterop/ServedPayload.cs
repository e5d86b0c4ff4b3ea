using System.Globalization;
using System.Text.Json;
using RtrCache.Interop.Peers;
using RtrCache.Payload;

namespace RtrCache.Interop.FetchInterop;

/// <summary>
/// A payload in the peers' own types (<see cref="PeerVrp"/>, <see cref="PeerRouterKey"/>, ASPAs as
/// <c>"AS64496 => [64497, 64498]"</c> text), so that what the generator says a correct validator must produce
/// (<see cref="FromExpected"/>), what our server exports (<see cref="ParseJsonExport"/>) and what BIRD and
/// rtrclient hold can all be compared with plain set equality. The production payload types appear only on the
/// generator side: the server's output is read from its HTTP export as text.
/// </summary>
public sealed record ServedPayload(IReadOnlySet<PeerVrp> Vrps, IReadOnlySet<string> Aspas, IReadOnlySet<PeerRouterKey> RouterKeys)
{
    /// <summary>The generator's expectation (<c>Repository.Expected()</c>) in peer types.</summary>
    public static ServedPayload FromExpected(PayloadSet expected)
    {
        var vrps = expected.Vrps.Select(v => new PeerVrp(new System.Net.IPNetwork(v.Address, v.PrefixLength), v.MaxLength, v.Asn)).ToHashSet();
        var aspas = expected.Aspas.ToArray().Select(a => AspaText(a.Customer, a.Providers)).ToHashSet(StringComparer.Ordinal);
        var keys = expected.RouterKeys.ToArray().Select(k => PeerRouterKey.FromBytes(k.Asn, k.Ski.AsSpan(), k.SubjectPublicKeyInfo.AsSpan())).ToHashSet();
        return new ServedPayload(vrps, aspas, keys);
    }

    /// <summary>
    /// Parses our server's <c>GET /json</c> export (rpki-client's JSON format: <c>roas</c> with prefix, maxLength and
    /// asn; <c>aspas</c> with customer_asid and providers; <c>bgpsec_keys</c> with asn, ski as hex and pubkey as base64).
    /// </summary>
    public static ServedPayload ParseJsonExport(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var vrps = new HashSet<PeerVrp>();
        foreach (var roa in Array(root, "roas"))
        {
            vrps.Add(PeerVrp.Parse(roa.GetProperty("prefix").GetString()!, roa.GetProperty("maxLength").GetInt32(), Asn(roa.GetProperty("asn"))));
        }

        var aspas = new HashSet<string>(StringComparer.Ordinal);
        foreach (var aspa in Array(root, "aspas"))
        {
            aspas.Add(AspaText(Asn(aspa.GetProperty("customer_asid")), aspa.GetProperty("providers").EnumerateArray().Select(Asn)));
        }

        var keys = new HashSet<PeerRouterKey>();
        foreach (var key in Array(root, "bgpsec_keys"))
        {
            keys.Add(PeerRouterKey.FromBytes(
                Asn(key.GetProperty("asn")),
                Convert.FromHexString(key.GetProperty("ski").GetString()!),
                Convert.FromBase64String(key.GetProperty("pubkey").GetString()!)));
        }

        return new ServedPayload(vrps, aspas, keys);
    }

    /// <summary>Empty when equal; otherwise what is missing and unexpected per family, for assertion messages.</summary>
    public string Diff(ServedPayload actual)
    {
        var parts = new List<string>();
        string vrps = PeerSets.Diff(Vrps, actual.Vrps);
        if (vrps.Length > 0)
        {
            parts.Add("VRPs " + vrps);
        }

        var missingAspas = Aspas.Except(actual.Aspas).Order(StringComparer.Ordinal).ToList();
        var extraAspas = actual.Aspas.Except(Aspas).Order(StringComparer.Ordinal).ToList();
        if (missingAspas.Count + extraAspas.Count > 0)
        {
            parts.Add($"ASPAs missing [{string.Join("; ", missingAspas)}] unexpected [{string.Join("; ", extraAspas)}]");
        }

        string keys = PeerSets.Diff(RouterKeys, actual.RouterKeys);
        if (keys.Length > 0)
        {
            parts.Add("router keys " + keys);
        }

        return string.Join('\n', parts);
    }

    /// <summary>True when all three families are equal.</summary>
    public bool SameAs(ServedPayload other) => Diff(other).Length == 0;

    public override string ToString() => $"{Vrps.Count} VRPs, {Aspas.Count} ASPAs, {RouterKeys.Count} router keys";

    private static string AspaText(uint customer, IEnumerable<uint> providers)
        => $"AS{customer.ToString(CultureInfo.InvariantCulture)} => [{string.Join(", ", providers.Order())}]";

    private static uint Asn(JsonElement e) => e.ValueKind == JsonValueKind.String
        ? uint.Parse(e.GetString()!.Replace("AS", "", StringComparison.OrdinalIgnoreCase), CultureInfo.InvariantCulture)
        : e.GetUInt32();

    private static IEnumerable<JsonElement> Array(JsonElement root, string name)
        => root.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array ? a.EnumerateArray() : [];
}
