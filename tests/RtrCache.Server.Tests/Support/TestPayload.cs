using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using RtrCache.Payload;

namespace RtrCache.Server.Tests.Support;

/// <summary>One ROA line of an rpki-client JSON file.</summary>
public sealed record Roa(uint Asn, string Prefix, int MaxLength)
{
    public Vrp ToVrp() => Vrp.TryCreate(Prefix, MaxLength, Asn, out var vrp, out var error) ? vrp : throw new ArgumentException(error);
}

/// <summary>One ASPA line of an rpki-client JSON file.</summary>
public sealed record AspaEntry(uint Customer, params uint[] Providers)
{
    public Aspa ToAspa() => Aspa.Create(Customer, Providers.Order());
}

/// <summary>A BGPsec router key as rpki-client writes it: hex SKI, base64 DER SPKI.</summary>
public sealed record KeyEntry(uint Asn, byte[] Ski, byte[] Spki)
{
    public RouterKey ToRouterKey() => RouterKey.Create(Ski, Asn, Spki);

    /// <summary>A fresh P-256 key with its SKI (SHA-1 of the SPKI, good enough for tests).</summary>
    public static KeyEntry NewP256(uint asn)
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = ec.ExportSubjectPublicKeyInfo();
        return new KeyEntry(asn, SHA1.HashData(spki), spki);
    }
}

/// <summary>
/// The input of a test server: what is written as rpki-client JSON, and what a router must end up with for
/// each protocol version (no router keys for v0, no ASPA for v0/v1).
/// </summary>
public sealed record TestPayload(IReadOnlyList<Roa> Roas, IReadOnlyList<AspaEntry> Aspas, IReadOnlyList<KeyEntry> Keys)
{
    public TestPayload(IEnumerable<Roa> roas, IEnumerable<AspaEntry>? aspas = null, IEnumerable<KeyEntry>? keys = null)
        : this(roas.ToArray(), (aspas ?? []).ToArray(), (keys ?? []).ToArray())
    {
    }

    public PayloadSet Expected(byte version) => PayloadSet.Create(
        Roas.Select(r => r.ToVrp()),
        version >= 1 ? Keys.Select(k => k.ToRouterKey()) : null,
        version >= 2 ? Aspas.Select(a => a.ToAspa()) : null);

    public TestPayload With(IEnumerable<Roa>? roas = null, IEnumerable<AspaEntry>? aspas = null, IEnumerable<KeyEntry>? keys = null)
        => new(roas ?? Roas, aspas ?? Aspas, keys ?? Keys);

    public string ToJson()
    {
        var sb = new StringBuilder(64 + Roas.Count * 64);
        sb.Append("{\n  \"metadata\": {\"buildmachine\": \"test\", \"generated\": 1764064800},\n  \"roas\": [");
        for (int i = 0; i < Roas.Count; i++)
        {
            var r = Roas[i];
            sb.Append(i == 0 ? "\n    " : ",\n    ");
            sb.Append(CultureInfo.InvariantCulture, $"{{\"asn\": {r.Asn}, \"prefix\": \"{r.Prefix}\", \"maxLength\": {r.MaxLength}, \"ta\": \"test\"}}");
        }
        sb.Append("\n  ],\n  \"aspas\": [");
        for (int i = 0; i < Aspas.Count; i++)
        {
            var a = Aspas[i];
            sb.Append(i == 0 ? "\n    " : ",\n    ");
            sb.Append(CultureInfo.InvariantCulture, $"{{\"customer_asid\": {a.Customer}, \"providers\": [{string.Join(", ", a.Providers)}]}}");
        }
        sb.Append("\n  ],\n  \"bgpsec_keys\": [");
        for (int i = 0; i < Keys.Count; i++)
        {
            var k = Keys[i];
            sb.Append(i == 0 ? "\n    " : ",\n    ");
            sb.Append(CultureInfo.InvariantCulture, $"{{\"asn\": {k.Asn}, \"ski\": \"{Convert.ToHexString(k.Ski)}\", \"pubkey\": \"{Convert.ToBase64String(k.Spki)}\", \"ta\": \"test\"}}");
        }
        sb.Append("\n  ]\n}\n");
        return sb.ToString();
    }
}
