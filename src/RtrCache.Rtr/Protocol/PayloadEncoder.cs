using RtrCache.Payload;

namespace RtrCache.Rtr.Protocol;

/// <summary>
/// The payload PDUs of one Cache Response (everything between Cache Response and End of Data), encoded once
/// and then written unchanged to every router of that version. The bytes hold no Session ID or serial (the
/// payload PDUs carry neither), so they stay valid for the lifetime of the data they encode.
/// </summary>
public sealed class EncodedPayload
{
    internal EncodedPayload(byte[] bytes, int pduCount)
    {
        Bytes = bytes;
        PduCount = pduCount;
    }

    public static EncodedPayload Empty { get; } = new([], 0);

    public ReadOnlyMemory<byte> Bytes { get; }
    public int PduCount { get; }
    public int Length => Bytes.Length;
}

/// <summary>
/// Encodes payload sets and deltas into <see cref="EncodedPayload"/> in the total order of
/// draft-ietf-sidrops-8210bis §11.2 (used for every version): IPv4, IPv6, Router Key, ASPA; announcements
/// before withdrawals; prefixes announced in descending and withdrawn in ascending order. The exact size is
/// computed first so each body is one array filled in a single pass.
/// </summary>
public static class PayloadEncoder
{
    /// <summary>The body of a full Cache Response (answer to Reset Query) for <paramref name="version"/>.</summary>
    public static EncodedPayload EncodeFull(PayloadSet set, byte version)
    {
        bool keys = version >= RtrVersion.V1, aspa = version >= RtrVersion.V2;
        long size = (long)set.V4Count * PduWriter.Ipv4PrefixLength + (long)set.V6Count * PduWriter.Ipv6PrefixLength;
        int count = set.VrpCount;
        if (keys)
        {
            foreach (var k in set.RouterKeys) size += PduWriter.RouterKeyLength(k);
            count += set.RouterKeyCount;
        }
        if (aspa)
        {
            foreach (var a in set.Aspas) size += PduWriter.AspaLength(a.Providers.Length);
            count += set.AspaCount;
        }
        var bytes = new byte[checked((int)size)];
        var span = bytes.AsSpan();
        int pos = 0;
        var v4 = set.V4;
        for (int i = v4.Length - 1; i >= 0; i--) pos += PduWriter.WritePrefix(span[pos..], version, v4[i], announce: true);
        var v6 = set.V6;
        for (int i = v6.Length - 1; i >= 0; i--) pos += PduWriter.WritePrefix(span[pos..], version, v6[i], announce: true);
        if (keys)
            foreach (var k in set.RouterKeys) pos += PduWriter.WriteRouterKey(span[pos..], version, k, announce: true);
        if (aspa)
            foreach (var a in set.Aspas) pos += PduWriter.WriteAspa(span[pos..], version, a.Customer, a.Providers.AsSpan(), announce: true);
        return new EncodedPayload(bytes, count);
    }

    /// <summary>The body of an incremental Cache Response (answer to Serial Query) for <paramref name="version"/>.</summary>
    public static EncodedPayload EncodeDelta(PayloadDelta delta, byte version)
    {
        bool keys = version >= RtrVersion.V1, aspa = version >= RtrVersion.V2;
        long size = (long)(delta.AnnouncedV4.Count + delta.WithdrawnV4.Count) * PduWriter.Ipv4PrefixLength
                    + (long)(delta.AnnouncedV6.Count + delta.WithdrawnV6.Count) * PduWriter.Ipv6PrefixLength;
        int count = delta.AnnouncedVrpCount + delta.WithdrawnVrpCount;
        if (keys)
        {
            foreach (var k in delta.AnnouncedRouterKeys) size += PduWriter.RouterKeyLength(k);
            foreach (var k in delta.WithdrawnRouterKeys) size += PduWriter.RouterKeyLength(k);
            count += delta.AnnouncedRouterKeys.Count + delta.WithdrawnRouterKeys.Count;
        }
        if (aspa)
        {
            foreach (var c in delta.AspaChanges) size += PduWriter.AspaLength(c.After?.Providers.Length ?? 0);
            count += delta.AspaChanges.Count;
        }
        if (count == 0) return EncodedPayload.Empty;

        var bytes = new byte[checked((int)size)];
        var span = bytes.AsSpan();
        int pos = 0;
        pos = WritePrefixes(span, pos, version, delta.AnnouncedV4, delta.WithdrawnV4);
        pos = WritePrefixes(span, pos, version, delta.AnnouncedV6, delta.WithdrawnV6);
        if (keys)
        {
            foreach (var k in delta.AnnouncedRouterKeys) pos += PduWriter.WriteRouterKey(span[pos..], version, k, announce: true);
            foreach (var k in delta.WithdrawnRouterKeys) pos += PduWriter.WriteRouterKey(span[pos..], version, k, announce: false);
        }
        if (aspa)
        {
            foreach (var c in delta.AspaChanges)
                if (c.After is { } a) pos += PduWriter.WriteAspa(span[pos..], version, c.Customer, a.Providers.AsSpan(), announce: true);
            foreach (var c in delta.AspaChanges)
                if (c.After is null) pos += PduWriter.WriteAspa(span[pos..], version, c.Customer, default, announce: false);
        }
        return new EncodedPayload(bytes, count);
    }

    private static int WritePrefixes(Span<byte> span, int pos, byte version, IReadOnlyList<Vrp> announced, IReadOnlyList<Vrp> withdrawn)
    {
        for (int i = announced.Count - 1; i >= 0; i--) pos += PduWriter.WritePrefix(span[pos..], version, announced[i], announce: true);
        for (int i = 0; i < withdrawn.Count; i++) pos += PduWriter.WritePrefix(span[pos..], version, withdrawn[i], announce: false);
        return pos;
    }
}
