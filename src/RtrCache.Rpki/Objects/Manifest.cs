using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Numerics;
using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using RtrCache.Rpki.Asn1;

namespace RtrCache.Rpki.Objects;

/// <summary>One FileAndHash of a manifest: a bare file name and the SHA-256 of the file.</summary>
public sealed record ManifestEntry(string FileName, ImmutableArray<byte> Hash)
{
    /// <summary>The file type implied by the extension (<see cref="RpkiObjectType.Unknown"/> for others).</summary>
    public RpkiObjectType FileType => RpkiFile.TypeFromName(FileName);

    /// <summary>True when <paramref name="content"/> hashes to <see cref="Hash"/>.</summary>
    public bool Matches(ReadOnlySpan<byte> content)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(content, hash);
        return hash.SequenceEqual(Hash.AsSpan());
    }

    public override string ToString() => $"{FileName} {Convert.ToHexString(Hash.AsSpan())}";
}

/// <summary>
/// The eContent of a manifest (RFC 9286 §4.2) after its checks: version absent (0), manifestNumber non-negative
/// and at most 20 octets, GeneralizedTime thisUpdate before nextUpdate, fileHashAlg SHA-256, file names of the
/// RFC 9286 §4.2.2 form, 32-octet hashes, no duplicate names or hashes, at most 100,000 entries.
/// </summary>
public sealed class ManifestContent
{
    /// <summary>rpki-client's limit on manifest entries.</summary>
    public const int MaxEntries = 100_000;

    private readonly FrozenDictionary<string, int> _index;

    private ManifestContent(BigInteger number, DateTimeOffset thisUpdate, DateTimeOffset nextUpdate, ImmutableArray<ManifestEntry> entries, FrozenDictionary<string, int> index)
    {
        Number = number;
        ThisUpdate = thisUpdate;
        NextUpdate = nextUpdate;
        Entries = entries;
        _index = index;
    }

    public BigInteger Number { get; }
    public DateTimeOffset ThisUpdate { get; }
    public DateTimeOffset NextUpdate { get; }

    /// <summary>The entries in the order listed.</summary>
    public ImmutableArray<ManifestEntry> Entries { get; }

    /// <summary>The entry for <paramref name="fileName"/> (exact, case-sensitive), or null.</summary>
    public ManifestEntry? Find(string fileName) => _index.TryGetValue(fileName, out int i) ? Entries[i] : null;

    /// <summary>Decodes the manifest eContent (DER).</summary>
    public static Decoded<ManifestContent> Decode(ReadOnlyMemory<byte> eContent)
        => Decoding.Run("manifest content", eContent, b => DecodeCore(b, "manifest"));

    internal static ManifestContent DecodeCore(ReadOnlyMemory<byte> der, string what)
    {
        if (Asn1Util.Parse(der, requireDer: true, $"{what} eContent") is not Asn1Sequence seq) throw Decoding.Fail($"{what}: eContent is not a SEQUENCE");
        int i = 0;
        if (seq.Count > 0 && Asn1Util.AsContextTag(seq[0], 0) is { } versionTag)
        {
            var version = versionTag.IsExplicit() ? versionTag.GetExplicitBaseObject().ToAsn1Object() : null;
            throw Decoding.Fail(version is DerInteger v && v.HasValue(0)
                ? $"{what}: version 0 is explicitly encoded; the DEFAULT must be omitted (DER)"
                : $"{what}: version {(version as DerInteger)?.Value.ToString() ?? "?"}, expected 0 (RFC 9286 §4.2.1)");
        }
        if (seq.Count != 5) throw Decoding.Fail($"{what}: eContent has {seq.Count} elements, expected 5");
        var number = Asn1Util.ReadSerialLike(seq[i++], $"{what}: manifestNumber", allowZero: true);
        var thisUpdate = Asn1Util.ReadTime(seq[i++], $"{what}: thisUpdate", generalizedOnly: true);
        var nextUpdate = Asn1Util.ReadTime(seq[i++], $"{what}: nextUpdate", generalizedOnly: true);
        if (nextUpdate <= thisUpdate)
            throw Decoding.Fail($"{what}: nextUpdate {RpkiObject.FormatTime(nextUpdate)} is not after thisUpdate {RpkiObject.FormatTime(thisUpdate)}");
        if (seq[i++].ToAsn1Object() is not DerObjectIdentifier hashAlg || hashAlg.Id != Oids.Sha256)
            throw Decoding.Fail($"{what}: fileHashAlg is not SHA-256");
        if (seq[i].ToAsn1Object() is not Asn1Sequence list) throw Decoding.Fail($"{what}: fileList is not a SEQUENCE");
        if (list.Count > MaxEntries) throw Decoding.Fail($"{what}: {list.Count} entries, more than {MaxEntries}");

        var entries = ImmutableArray.CreateBuilder<ManifestEntry>(list.Count);
        var index = new Dictionary<string, int>(list.Count, StringComparer.Ordinal);
        var hashes = new HashSet<UInt128>(list.Count);
        int n = 0;
        foreach (var item in list)
        {
            n++;
            if (item is not Asn1Sequence fh || fh.Count != 2) throw Decoding.Fail($"{what}: entry {n} is not a FileAndHash SEQUENCE");
            if (fh[0].ToAsn1Object() is not DerIA5String nameString) throw Decoding.Fail($"{what}: entry {n}: file name is not an IA5String");
            string name = CheckFileName(nameString.GetOctets(), $"{what}: entry {n}");
            if (fh[1].ToAsn1Object() is not DerBitString hashBits || hashBits.PadBits != 0 || hashBits.GetBytesLength() != 32)
                throw Decoding.Fail($"{what}: entry {n} ({name}): hash is not a 256-bit BIT STRING");
            byte[] hash = hashBits.GetBytes();
            if (!index.TryAdd(name, entries.Count)) throw Decoding.Fail($"{what}: file {name} is listed twice");
            if (!hashes.Add(System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(hash)) && HasSameHash(entries, hash))
                throw Decoding.Fail($"{what}: file {name} has the same hash as another entry");
            entries.Add(new ManifestEntry(name, ImmutableArray.Create(hash)));
        }
        return new ManifestContent(number, thisUpdate, nextUpdate, entries.MoveToImmutable(), index.ToFrozenDictionary(StringComparer.Ordinal));
    }

    private static bool HasSameHash(ImmutableArray<ManifestEntry>.Builder entries, byte[] hash)
    {
        foreach (var e in entries)
            if (e.Hash.AsSpan().SequenceEqual(hash)) return true;
        return false;
    }

    /// <summary>
    /// RFC 9286 §4.2.2: one or more of <c>a-z A-Z 0-9 - _</c>, one '.', a three-letter extension. This rules out
    /// paths ('/'), "..", control characters and non-ASCII bytes.
    /// </summary>
    internal static string CheckFileName(ReadOnlySpan<byte> name, string what)
    {
        if (name.Length == 0) throw Decoding.Fail($"{what}: empty file name");
        if (name.Length > 255) throw Decoding.Fail($"{what}: file name longer than 255 characters");
        int dot = -1;
        for (int i = 0; i < name.Length; i++)
        {
            byte c = name[i];
            if (c == '.')
            {
                if (dot >= 0) throw Decoding.Fail($"{what}: file name '{Printable(name)}' has more than one '.'");
                dot = i;
            }
            else if (!(c is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9' or (byte)'-' or (byte)'_'))
            {
                throw Decoding.Fail($"{what}: file name '{Printable(name)}' contains the byte 0x{c:X2}, outside a-z A-Z 0-9 - _ . (RFC 9286 §4.2.2)");
            }
        }
        if (dot < 0) throw Decoding.Fail($"{what}: file name '{Printable(name)}' has no extension");
        if (dot == 0) throw Decoding.Fail($"{what}: file name '{Printable(name)}' is only an extension");
        var ext = name[(dot + 1)..];
        if (ext.Length != 3 || !IsLetter(ext[0]) || !IsLetter(ext[1]) || !IsLetter(ext[2]))
            throw Decoding.Fail($"{what}: file name '{Printable(name)}' does not end in a three-letter extension (RFC 9286 §4.2.2)");
        return System.Text.Encoding.ASCII.GetString(name);
    }

    private static bool IsLetter(byte c) => c is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z';

    private static string Printable(ReadOnlySpan<byte> name)
    {
        var sb = new System.Text.StringBuilder(name.Length);
        foreach (byte c in name) sb.Append(c is >= 0x20 and < 0x7F ? (char)c : $"\\x{c:X2}");
        return sb.ToString();
    }
}

/// <summary>A decoded and verified manifest (RFC 9286): the signed object plus its content.</summary>
public sealed class Manifest : RpkiObject
{
    private Manifest(SignedObject signedObject, ManifestContent content)
    {
        SignedObject = signedObject;
        Content = content;
    }

    public override RpkiObjectType Type => RpkiObjectType.Manifest;
    public SignedObject SignedObject { get; }
    public ManifestContent Content { get; }
    public ResourceCertificate EeCertificate => SignedObject.EeCertificate;
    public BigInteger Number => Content.Number;
    public DateTimeOffset ThisUpdate => Content.ThisUpdate;
    public DateTimeOffset NextUpdate => Content.NextUpdate;
    public ImmutableArray<ManifestEntry> Entries => Content.Entries;

    /// <summary>The entry for <paramref name="fileName"/>, or null.</summary>
    public ManifestEntry? Find(string fileName) => Content.Find(fileName);

    public override DateTimeOffset? ExpiresAt => NextUpdate < EeCertificate.NotAfter ? NextUpdate : EeCertificate.NotAfter;

    /// <summary>Null when both the manifest (thisUpdate..nextUpdate) and its EE certificate are current.</summary>
    public override string? CheckValidityAt(DateTimeOffset now)
        => CheckWindow("manifest", ThisUpdate, NextUpdate, now, late: "stale since nextUpdate")
           ?? SignedObject.CheckValidityAt(now);

    /// <summary>Decodes and verifies a .mft file (BER at the CMS layer is accepted, as published by older signers).</summary>
    public static Decoded<Manifest> Decode(ReadOnlyMemory<byte> bytes)
        => Decoding.Run("manifest", bytes, b =>
        {
            const string what = "manifest";
            var envelope = SignedObjectEnvelope.Open(b, RpkiObjectType.Manifest, what);
            var ee = envelope.Ee;
            if ((ee.IpResources is { } ip && (ip.Count > 0 || !ip.HasInherit)) || (ee.AsResources is { } asn && !asn.IsInherit))
                throw Decoding.Fail($"{what}: EE certificate resources must be 'inherit' (RFC 9286 §4.2)");
            var content = ManifestContent.DecodeCore(envelope.Content, what);
            if (envelope.SigningTime > content.NextUpdate)
                throw Decoding.Fail($"{what}: signing-time {FormatTime(envelope.SigningTime)} is after nextUpdate {FormatTime(content.NextUpdate)}");
            envelope.Verify();
            return new Manifest(envelope.ToSignedObject(), content);
        });

    public override string ToString() => $"manifest #{Number} ({Entries.Length} entries)";
}
