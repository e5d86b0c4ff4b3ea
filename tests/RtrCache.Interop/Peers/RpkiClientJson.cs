using System.Globalization;
using System.Text.Json;

namespace RtrCache.Interop.Peers;

/// <summary>
/// Writes a VRP file in rpki-client's JSON output format (the <c>-j</c> output, as read by StayRTR and
/// by our <c>--json</c> input):
/// <code>
/// {"metadata":{"buildtime":"2026-11-25T19:00:00Z","vrps":1},
///  "roas":[{"asn":64496,"prefix":"192.0.2.0/24","maxLength":24,"ta":"test","expires":1795000000}],
///  "bgpsec_keys":[{"asn":64496,"ski":"0102…","pubkey":"MFkw…","ta":"test","expires":1795000000}],
///  "aspas":[{"customer_asid":64496,"expires":1795000000,"providers":[64497]}]}
/// </code>
/// What StayRTR 0.5.1 requires of it (read from its source, prefixfile/prefixfile.go and cmd/stayrtr):
/// <list type="bullet">
/// <item><c>metadata.buildtime</c> (RFC 3339) or <c>metadata.generated</c> (Unix seconds) within the last
/// 24 h, unless StayRTR runs with <c>-checktime=false</c>; we always write a current buildtime.</item>
/// <item><c>expires</c> is optional per entry; an entry whose <c>expires</c> is in the past is silently dropped.</item>
/// <item><c>asn</c> may be a number or a string such as "AS64496"; <c>prefix</c> must not be a /0
/// (StayRTR rejects prefix length 0 and max length below the prefix length).</item>
/// <item>Router keys: <c>ski</c> hex, <c>pubkey</c> base64 of the DER SubjectPublicKeyInfo.</item>
/// <item>ASPA: StayRTR 0.5.1 reads only the legacy rpki-client ≤ 8.4 form
/// <c>"provider_authorizations":{"ipv4":[…],"ipv6":[…]}</c> and ignores <c>"aspas"</c> (rpki-client ≥ 8.5).
/// Set <c>legacyProviderAuthorizations</c> to also write the legacy form (same entries for both AFIs).</item>
/// </list>
/// The file is written to a temporary name and renamed, so a polling reader never sees half a file.
/// </summary>
public static class RpkiClientJson
{
    public static void Write(
        string path,
        IEnumerable<PeerVrp> vrps,
        IEnumerable<PeerRouterKey>? routerKeys = null,
        IEnumerable<PeerAspa>? aspas = null,
        DateTimeOffset? buildTime = null,
        DateTimeOffset? expires = null,
        bool legacyProviderAuthorizations = false,
        string ta = "test")
    {
        var now = buildTime ?? DateTimeOffset.UtcNow;
        long expiresUnix = (expires ?? now.AddDays(2)).ToUnixTimeSeconds();
        var vrpList = vrps.ToList();
        var keyList = routerKeys?.ToList() ?? [];
        var aspaList = aspas?.ToList() ?? [];

        string temporary = path + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        using (var stream = File.Create(temporary))
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();

            json.WriteStartObject("metadata");
            json.WriteString("buildtime", now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            json.WriteNumber("vrps", vrpList.Count);
            json.WriteEndObject();

            json.WriteStartArray("roas");
            foreach (var vrp in vrpList)
            {
                json.WriteStartObject();
                json.WriteNumber("asn", vrp.Asn);
                json.WriteString("prefix", vrp.Prefix.ToString());
                json.WriteNumber("maxLength", vrp.MaxLength);
                json.WriteString("ta", ta);
                json.WriteNumber("expires", expiresUnix);
                json.WriteEndObject();
            }

            json.WriteEndArray();

            json.WriteStartArray("bgpsec_keys");
            foreach (var key in keyList)
            {
                json.WriteStartObject();
                json.WriteNumber("asn", key.Asn);
                json.WriteString("ski", key.Ski.ToUpperInvariant());
                json.WriteString("pubkey", Convert.ToBase64String(Convert.FromHexString(key.Spki)));
                json.WriteString("ta", ta);
                json.WriteNumber("expires", expiresUnix);
                json.WriteEndObject();
            }

            json.WriteEndArray();

            json.WriteStartArray("aspas");
            foreach (var aspa in aspaList)
            {
                WriteAspa(json, aspa, expiresUnix);
            }

            json.WriteEndArray();

            if (legacyProviderAuthorizations)
            {
                json.WriteStartObject("provider_authorizations");
                foreach (string afi in new[] { "ipv4", "ipv6" })
                {
                    json.WriteStartArray(afi);
                    foreach (var aspa in aspaList)
                    {
                        WriteAspa(json, aspa, expiresUnix);
                    }

                    json.WriteEndArray();
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        File.Move(temporary, path, overwrite: true);
    }

    private static void WriteAspa(Utf8JsonWriter json, PeerAspa aspa, long expiresUnix)
    {
        json.WriteStartObject();
        json.WriteNumber("customer_asid", aspa.CustomerAsn);
        json.WriteNumber("expires", expiresUnix);
        json.WriteStartArray("providers");
        foreach (uint provider in aspa.Providers)
        {
            json.WriteNumberValue(provider);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
