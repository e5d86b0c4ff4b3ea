using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json.Nodes;
using RtrCache.Rpki.Objects;
using RtrCache.Rpki.Resources;

namespace RtrCache.Rpki.Inspection;

/// <summary>
/// A readable description of a decoded object (for <c>rtrcache inspect</c>): a JSON tree, printable as JSON or as
/// indented text.
/// </summary>
public static class ObjectDescriber
{
    public static JsonObject Describe(RpkiObject obj) => obj switch
    {
        Tal tal => DescribeTal(tal),
        RouterCertificate router => DescribeRouter(router),
        ResourceCertificate cert => DescribeCertificate(cert, "certificate"),
        Crl crl => DescribeCrl(crl),
        Manifest mft => DescribeManifest(mft),
        RoaObject roa => DescribeRoa(roa),
        AspaObject aspa => DescribeAspa(aspa),
        SignedObject so => DescribeSignedObject(so, TypeName(so.Type)),
        UnsupportedFile f => new JsonObject { ["type"] = "unsupported", ["name"] = f.Name },
        _ => new JsonObject { ["type"] = obj.Type.ToString() },
    };

    public static string TypeName(RpkiObjectType type) => type switch
    {
        RpkiObjectType.TrustAnchorLocator => "trust anchor locator",
        RpkiObjectType.Certificate => "certificate",
        RpkiObjectType.RouterCertificate => "router certificate",
        RpkiObjectType.Crl => "CRL",
        RpkiObjectType.Manifest => "manifest",
        RpkiObjectType.Roa => "ROA",
        RpkiObjectType.Aspa => "ASPA",
        RpkiObjectType.Ghostbusters => "Ghostbusters record",
        RpkiObjectType.TrustAnchorKey => "trust anchor key",
        RpkiObjectType.SignedPrefixList => "signed prefix list",
        RpkiObjectType.SignedChecklist => "signed checklist",
        _ => "unsupported",
    };

    private static JsonObject DescribeTal(Tal tal) => new()
    {
        ["type"] = TypeName(tal.Type),
        ["name"] = tal.Name,
        ["comments"] = Array(tal.Comments),
        ["uris"] = Array(tal.Uris),
        ["publicKey"] = Key(tal.PublicKey),
    };

    private static JsonObject DescribeCertificate(ResourceCertificate c, string type)
    {
        var o = new JsonObject
        {
            ["type"] = type,
            ["kind"] = c.Kind switch
            {
                CertificateKind.Ca => "CA",
                CertificateKind.TrustAnchor => "trust anchor",
                CertificateKind.Router => "BGPsec router",
                _ => "EE",
            },
            ["subject"] = c.Subject,
            ["issuer"] = c.Issuer,
            ["serialNumber"] = Hex(c.SerialNumber),
            ["notBefore"] = Time(c.NotBefore),
            ["notAfter"] = Time(c.NotAfter),
            ["subjectKeyIdentifier"] = c.SubjectKeyIdentifier.ToString(),
            ["authorityKeyIdentifier"] = c.AuthorityKeyIdentifier?.ToString(),
            ["keyUsage"] = c.KeyUsage.ToString(),
            ["publicKey"] = Key(c.PublicKey),
        };
        if (c.ExtendedKeyUsages.Length > 0) o["extendedKeyUsage"] = Array(c.ExtendedKeyUsages);
        var sia = new JsonObject();
        if (c.CaRepositoryUri is not null) sia["caRepository"] = c.CaRepositoryUri;
        if (c.ManifestUri is not null) sia["rpkiManifest"] = c.ManifestUri;
        if (c.NotificationUri is not null) sia["rpkiNotify"] = c.NotificationUri;
        if (c.SignedObjectUri is not null) sia["signedObject"] = c.SignedObjectUri;
        if (sia.Count > 0) o["subjectInfoAccess"] = sia;
        if (c.CaIssuersUri is not null) o["caIssuers"] = c.CaIssuersUri;
        if (c.CrlUri is not null) o["crlDistributionPoint"] = c.CrlUri;
        o["resources"] = Resources(c.IpResources, c.AsResources);
        return o;
    }

    private static JsonObject Resources(IpResourceSet? ip, AsResourceSet? asn)
    {
        var r = new JsonObject();
        if (ip is not null)
        {
            if (ip.IPv4Inherit) r["ipv4"] = "inherit";
            else if (ip.IPv4.Length > 0) r["ipv4"] = Array(ip.IPv4.Select(x => x.ToString()));
            if (ip.IPv6Inherit) r["ipv6"] = "inherit";
            else if (ip.IPv6.Length > 0) r["ipv6"] = Array(ip.IPv6.Select(x => x.ToString()));
        }
        if (asn is not null) r["asn"] = asn.IsInherit ? "inherit" : Array(asn.Ranges.Select(x => x.ToString()));
        return r;
    }

    private static JsonObject DescribeRouter(RouterCertificate r)
    {
        var o = DescribeCertificate(r.Certificate, TypeName(r.Type));
        o["routerKey"] = new JsonObject
        {
            ["subjectKeyIdentifier"] = r.SubjectKeyIdentifier.ToString(),
            ["asns"] = Array(r.AsResources.Ranges.Select(x => x.ToString())),
            ["asnCount"] = r.AsnCount,
            ["subjectPublicKeyInfo"] = Convert.ToBase64String(r.SubjectPublicKeyInfo),
        };
        return o;
    }

    private static JsonObject DescribeCrl(Crl crl) => new()
    {
        ["type"] = TypeName(crl.Type),
        ["issuer"] = crl.Issuer,
        ["authorityKeyIdentifier"] = crl.AuthorityKeyIdentifier.ToString(),
        ["crlNumber"] = crl.Number.ToString(CultureInfo.InvariantCulture),
        ["thisUpdate"] = Time(crl.ThisUpdate),
        ["nextUpdate"] = Time(crl.NextUpdate),
        ["revokedCount"] = crl.RevokedCount,
        ["revokedSerials"] = Array(crl.RevokedSerials.Order().Select(Hex)),
    };

    private static JsonObject DescribeSignedObject(SignedObject so, string type) => new()
    {
        ["type"] = type,
        ["contentType"] = so.ContentType,
        ["signingTime"] = Time(so.SigningTime),
        ["eeCertificate"] = DescribeCertificate(so.EeCertificate, "EE certificate"),
    };

    private static JsonObject DescribeManifest(Manifest m)
    {
        var o = DescribeSignedObject(m.SignedObject, TypeName(m.Type));
        o["manifestNumber"] = m.Number.ToString(CultureInfo.InvariantCulture);
        o["thisUpdate"] = Time(m.ThisUpdate);
        o["nextUpdate"] = Time(m.NextUpdate);
        var entries = new JsonArray();
        foreach (var e in m.Entries)
            entries.Add(new JsonObject { ["file"] = e.FileName, ["sha256"] = Convert.ToHexString(e.Hash.AsSpan()).ToLowerInvariant() });
        o["entries"] = entries;
        return o;
    }

    private static JsonObject DescribeRoa(RoaObject roa)
    {
        var o = DescribeSignedObject(roa.SignedObject, TypeName(roa.Type));
        o["asId"] = roa.AsId;
        var prefixes = new JsonArray();
        foreach (var p in roa.Prefixes)
            prefixes.Add(new JsonObject { ["prefix"] = p.Prefix.ToString(), ["maxLength"] = p.MaxLength });
        o["prefixes"] = prefixes;
        return o;
    }

    private static JsonObject DescribeAspa(AspaObject aspa)
    {
        var o = DescribeSignedObject(aspa.SignedObject, TypeName(aspa.Type));
        o["customerAsid"] = aspa.CustomerAsn;
        var providers = new JsonArray();
        foreach (var p in aspa.Providers) providers.Add(p);
        o["providers"] = providers;
        return o;
    }

    private static JsonObject Key(RpkiPublicKey key) => new()
    {
        ["algorithm"] = key.Algorithm == PublicKeyAlgorithm.Rsa ? "RSA" : "EC P-256",
        ["bits"] = key.KeySize,
        ["keyIdentifier"] = key.KeyIdentifier.ToString(),
        ["subjectPublicKeyInfo"] = Convert.ToBase64String(key.SubjectPublicKeyInfoSpan),
    };

    private static JsonArray Array(IEnumerable<string> items)
    {
        var a = new JsonArray();
        foreach (var i in items) a.Add(i);
        return a;
    }

    private static string Time(DateTimeOffset t) => RpkiObject.FormatTime(t);

    private static string Hex(BigInteger v) => v.Sign == 0 ? "0" : v.ToString("X", CultureInfo.InvariantCulture).TrimStart('0') is { Length: > 0 } s ? s : "0";

    /// <summary>Renders a description as indented <c>key: value</c> lines.</summary>
    public static string ToText(JsonNode node)
    {
        var sb = new StringBuilder();
        Write(sb, node, 0);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, JsonNode? node, int indent)
    {
        if (node is not JsonObject obj) return;
        foreach (var (key, value) in obj)
        {
            if (value is null) continue;
            sb.Append(' ', indent).Append(key).Append(':');
            switch (value)
            {
                case JsonObject child:
                    sb.AppendLine();
                    Write(sb, child, indent + 2);
                    break;
                case JsonArray array:
                    if (array.Count == 0)
                    {
                        sb.AppendLine(" (none)");
                        break;
                    }
                    sb.AppendLine();
                    foreach (var item in array)
                    {
                        if (item is JsonObject o)
                            sb.Append(' ', indent + 2).AppendLine(string.Join("  ", o.Select(kv => kv.Value?.ToString() ?? "")));
                        else
                            sb.Append(' ', indent + 2).AppendLine(item?.ToString());
                    }
                    break;
                default:
                    sb.Append(' ').AppendLine(value.ToString());
                    break;
            }
        }
    }
}
