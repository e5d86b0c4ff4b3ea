using System.Numerics;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using RtrCache.Rpki.Asn1;

namespace RtrCache.Rpki.Objects;

/// <summary>
/// An RPKI CRL (RFC 6487 §5) that passed the profile checks needing no issuer: v2, sha256WithRSAEncryption,
/// exactly the AKI and CRL Number extensions (non-critical), no entry extensions, non-empty revocation list or
/// none at all, thisUpdate before nextUpdate.
/// </summary>
public sealed class Crl : RpkiObject
{
    private readonly byte[] _encoded;
    private readonly int _tbsOffset;
    private readonly int _tbsLength;
    private readonly byte[] _signature;
    private readonly HashSet<BigInteger> _revoked;

    private Crl(byte[] encoded, int tbsOffset, int tbsLength, byte[] signature, HashSet<BigInteger> revoked)
    {
        _encoded = encoded;
        _tbsOffset = tbsOffset;
        _tbsLength = tbsLength;
        _signature = signature;
        _revoked = revoked;
    }

    public override RpkiObjectType Type => RpkiObjectType.Crl;

    /// <summary>Issuer name as <c>CN=…</c>.</summary>
    public string Issuer { get; private init; } = "";
    public DateTimeOffset ThisUpdate { get; private init; }
    public DateTimeOffset NextUpdate { get; private init; }
    public BigInteger Number { get; private init; }
    public KeyIdentifier AuthorityKeyIdentifier { get; private init; }

    /// <summary>Number of revoked certificates.</summary>
    public int RevokedCount => _revoked.Count;

    /// <summary>The revoked serial numbers (unordered).</summary>
    public IReadOnlySet<BigInteger> RevokedSerials => _readOnly ??= new System.Collections.ObjectModel.ReadOnlySet<BigInteger>(_revoked);

    private IReadOnlySet<BigInteger>? _readOnly;

    public ReadOnlyMemory<byte> Encoded => _encoded;

    /// <summary>True when the certificate with <paramref name="serial"/> is on this CRL (a hash lookup).</summary>
    public bool IsRevoked(BigInteger serial) => _revoked.Contains(serial);

    public bool IsRevoked(ResourceCertificate certificate) => _revoked.Contains(certificate.SerialNumber);

    public override DateTimeOffset? ExpiresAt => NextUpdate;

    public override string? CheckValidityAt(DateTimeOffset now) => CheckWindow("CRL", ThisUpdate, NextUpdate, now, late: "stale since nextUpdate");

    /// <summary>
    /// True when <paramref name="issuer"/>'s key verifies the CRL signature (the caller also compares the AKI).
    /// The issuer's native key is kept for its other children (<see cref="Crypto.RsaPublicKey"/>).
    /// </summary>
    public bool VerifySignedBy(ResourceCertificate issuer)
        => issuer.PublicKey.VerifySha256WithRsaReusingKey(_encoded.AsSpan(_tbsOffset, _tbsLength), _signature);

    public bool VerifySignedBy(RpkiPublicKey key) => key.VerifySha256WithRsa(_encoded.AsSpan(_tbsOffset, _tbsLength), _signature);

    public static Decoded<Crl> Decode(ReadOnlyMemory<byte> der) => Decoding.Run("CRL", der, b => DecodeCore(b.ToArray()));

    private static Crl DecodeCore(byte[] der)
    {
        const string what = "CRL";
        var obj = Asn1Util.Parse(der, requireDer: true, what);
        CertificateList list;
        try
        {
            list = CertificateList.GetInstance(obj);
        }
        catch (ArgumentException e)
        {
            throw Decoding.Fail($"{what}: not an X.509 CRL ({e.Message})");
        }
        var tbs = list.TbsCertList;
        var root = DerScanner.Read(der, 0);
        DerScanner.TryGetChild(der, root, 0, out var tbsTlv);
        if (tbs.Version != 2) throw Decoding.Fail($"{what}: version {tbs.Version}, expected 2");
        Asn1Util.RequireSha256WithRsa(list.SignatureAlgorithm, what);
        if (!Asn1Util.SameEncoding(tbs.Signature, list.SignatureAlgorithm))
            throw Decoding.Fail($"{what}: the signature algorithm inside TBSCertList differs from the outer signatureAlgorithm");
        if (list.Signature.PadBits != 0) throw Decoding.Fail($"{what}: signature BIT STRING has unused bits");
        string issuer = ResourceCertificate.ReadName(tbs.Issuer, $"{what}: issuer");
        var thisUpdate = Asn1Util.ReadTime(tbs.ThisUpdate, $"{what}: thisUpdate");
        if (tbs.NextUpdate is null) throw Decoding.Fail($"{what}: nextUpdate missing (RFC 6487 §5)");
        var nextUpdate = Asn1Util.ReadTime(tbs.NextUpdate, $"{what}: nextUpdate");
        if (nextUpdate <= thisUpdate) throw Decoding.Fail($"{what}: nextUpdate {FormatTime(nextUpdate)} is not after thisUpdate {FormatTime(thisUpdate)}");

        KeyIdentifier? aki = null;
        BigInteger? number = null;
        var extensions = tbs.Extensions;
        if (extensions is null) throw Decoding.Fail($"{what}: no extensions (needs Authority Key Identifier and CRL Number)");
        foreach (var oid in extensions.ExtensionOids)
        {
            var ext = extensions.GetExtension(oid);
            if (ext.IsCritical) throw Decoding.Fail($"{what}: critical extension {oid.Id}");
            var value = Asn1Util.Parse(ext.Value.GetOctets(), requireDer: true, $"{what}: extension {oid.Id}");
            switch (oid.Id)
            {
                case Oids.ExtAuthorityKeyIdentifier:
                    var akiValue = Org.BouncyCastle.Asn1.X509.AuthorityKeyIdentifier.GetInstance(value);
                    if (akiValue.AuthorityCertIssuer is not null || akiValue.AuthorityCertSerialNumber is not null
                        || akiValue.KeyIdentifier is null || !KeyIdentifier.TryCreate(akiValue.KeyIdentifier.GetOctets(), out var id))
                        throw Decoding.Fail($"{what}: Authority Key Identifier must hold only a 20-octet keyIdentifier");
                    aki = id;
                    break;
                case Oids.ExtCrlNumber:
                    number = Asn1Util.ReadSerialLike(value, $"{what}: CRL Number", allowZero: true);
                    break;
                default:
                    throw Decoding.Fail($"{what}: extension {oid.Id} is not allowed (only AKI and CRL Number, RFC 6487 §5)");
            }
        }
        if (aki is null) throw Decoding.Fail($"{what}: no Authority Key Identifier");
        if (number is null) throw Decoding.Fail($"{what}: no CRL Number");

        // revokedCertificates is the element after nextUpdate when it is a SEQUENCE.
        var tbsSeq = Asn1Sequence.GetInstance(tbs.ToAsn1Object());
        var serials = new HashSet<BigInteger>();
        foreach (var element in tbsSeq)
        {
            if (element is not Asn1Sequence revoked || !IsRevokedList(revoked)) continue;
            if (revoked.Count == 0) throw Decoding.Fail($"{what}: empty revokedCertificates must be omitted (RFC 6487 §5)");
            foreach (var entryEncodable in revoked)
            {
                var entry = CrlEntry.GetInstance(entryEncodable);
                if (entry.Extensions is not null) throw Decoding.Fail($"{what}: CRL entry extensions are not allowed (RFC 6487 §5)");
                if (!serials.Add(Asn1Util.ReadSerialLike(entry.UserCertificate, $"{what}: revoked serial", allowZero: false)))
                    throw Decoding.Fail($"{what}: serial {entry.UserCertificate.Value.ToString(16)} is listed twice");
                Asn1Util.ReadTime(entry.RevocationDate, $"{what}: revocationDate");
            }
        }
        return new Crl(der, tbsTlv.Offset, tbsTlv.TotalLength, list.Signature.GetOctets(), serials)
        {
            Issuer = issuer,
            ThisUpdate = thisUpdate,
            NextUpdate = nextUpdate,
            Number = number.Value,
            AuthorityKeyIdentifier = aki.Value,
        };
    }

    /// <summary>The revokedCertificates SEQUENCE OF SEQUENCE (and not the signature AlgorithmIdentifier or the issuer Name).</summary>
    private static bool IsRevokedList(Asn1Sequence s)
        => s.Count == 0 || (s[0] is Asn1Sequence first && first.Count >= 2 && first[0] is DerInteger);

    public override string ToString() => $"CRL {Issuer} #{Number} ({RevokedCount} revoked)";
}
