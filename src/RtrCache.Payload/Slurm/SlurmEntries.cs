using System.Collections.Immutable;

namespace RtrCache.Payload.Slurm;

/// <summary>
/// One <c>prefixFilters</c> entry (RFC 8416 §3.3.1): removes every VRP whose prefix is equal to or more
/// specific than <see cref="Prefix"/> and/or whose origin is <see cref="Asn"/>. Lets an operator silence RPKI
/// data they know to be wrong for their network without touching the global RPKI.
/// </summary>
/// <remarks>At least one of <see cref="Prefix"/> and <see cref="Asn"/> is set; when both are, both must match.</remarks>
public sealed record SlurmPrefixFilter(IpPrefix? Prefix, uint? Asn, string? Comment)
{
    public bool Matches(Vrp vrp)
        => (Prefix is not IpPrefix p || p.Covers(vrp.Prefix)) && (Asn is not uint a || vrp.Asn == a);
}

/// <summary>
/// One <c>bgpsecFilters</c> entry (RFC 8416 §3.3.2): removes router keys of <see cref="Asn"/> and/or with the
/// Subject Key Identifier <see cref="Ski"/> (20 octets). At least one of the two is set.
/// </summary>
public sealed record SlurmBgpsecFilter(uint? Asn, ImmutableArray<byte>? Ski, string? Comment)
{
    public bool Matches(RouterKey key)
        => (Asn is not uint a || key.Asn == a)
           && (Ski is not ImmutableArray<byte> s || s.AsSpan().SequenceEqual(key.Ski.AsSpan()));
}

/// <summary>
/// One <c>aspaFilters</c> entry (draft-ietf-sidrops-aspa-slurm-04, SLURM version 2): removes the whole validated
/// ASPA payload of one customer AS. Combined with an <see cref="SlurmAspaAssertion"/> it replaces the RPKI's
/// provider set for that customer.
/// </summary>
public sealed record SlurmAspaFilter(uint CustomerAsn, string? Comment);

/// <summary>
/// One <c>prefixAssertions</c> entry (RFC 8416 §3.4.1): a VRP the operator adds locally, for example for address
/// space whose ROAs are not (yet) published.
/// </summary>
/// <param name="Prefix">The prefix.</param>
/// <param name="Asn">The origin AS.</param>
/// <param name="MaxPrefixLength">As written; null when the member was absent (then the prefix length applies).</param>
/// <param name="Comment">The <c>comment</c> member, if any.</param>
public sealed record SlurmPrefixAssertion(IpPrefix Prefix, uint Asn, byte? MaxPrefixLength, string? Comment)
{
    public int EffectiveMaxLength => MaxPrefixLength ?? Prefix.Length;

    public Vrp ToVrp() => Prefix.IsIPv6
        ? Vrp.V6(Prefix.AddressBits, Prefix.Length, EffectiveMaxLength, Asn)
        : Vrp.V4((uint)Prefix.AddressBits, Prefix.Length, EffectiveMaxLength, Asn);
}

/// <summary>
/// One <c>bgpsecAssertions</c> entry (RFC 8416 §3.4.2): a router key added locally. The key bytes are not
/// checked beyond being non-empty base64: RFC 8416's own example (<c>"Ymx1YmI"</c>) is not a real key.
/// </summary>
public sealed record SlurmBgpsecAssertion(uint Asn, ImmutableArray<byte> Ski, ImmutableArray<byte> RouterPublicKey, string? Comment)
{
    public RouterKey ToRouterKey() => RouterKey.Create(Ski.AsSpan(), Asn, RouterPublicKey.AsSpan());
}

/// <summary>
/// One <c>aspaAssertions</c> entry (draft-ietf-sidrops-aspa-slurm-04): providers the operator authorises locally
/// for a customer AS. They are united with whatever RPKI ASPA data remains for that customer after filtering.
/// </summary>
/// <remarks><see cref="ProviderAsns"/> is strictly ascending, non-empty, without the customer, and holds AS 0
/// only alone (checked when the file is parsed).</remarks>
public sealed record SlurmAspaAssertion(uint CustomerAsn, ImmutableArray<uint> ProviderAsns, string? Comment);
