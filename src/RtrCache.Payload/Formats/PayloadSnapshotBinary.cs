using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace RtrCache.Payload.Formats;

/// <summary>
/// A compact binary form of a <see cref="PayloadSnapshot"/>: serial, creation time, the payload set and the
/// history as single steps (<see cref="PayloadSnapshot.Steps"/>). It is what the cache persists after every
/// update so that a restart serves the same serial and still answers Serial Queries with deltas. Fixed-width,
/// big-endian fields (no varints) keep reading a global set a straight copy loop: about 10 bytes per IPv4 VRP
/// and 22 per IPv6 VRP, against about 80 in rpki-client JSON.
/// </summary>
/// <remarks>
/// <para>Layout (all integers big-endian):</para>
/// <code>
/// u32 serial, i64 created (Unix ms)
/// set:   u32 n, n × VRP4 (u32 address, u8 prefix length, u8 max length, u32 ASN)      — ascending
///        u32 n, n × VRP6 (16-byte address, u8 prefix length, u8 max length, u32 ASN)  — ascending
///        u32 n, n × key  (20-byte SKI, u32 ASN, u16 SPKI length, SPKI)                 — ascending
///        u32 n, n × ASPA (u32 customer, u16 count, count × u32 provider)               — by customer
/// u32 steps, each: u32 from-serial, then the delta:
///        VRP4 announced, VRP4 withdrawn, VRP6 announced, VRP6 withdrawn (each u32 n + items as above),
///        keys announced, keys withdrawn (each u32 n + items), u32 n ASPA changes, each
///        u32 customer, u8 flags (1 = before present, 2 = after present), [u16 count, providers] per end present
/// </code>
/// <para>This part carries no version or checksum: the caller's file format wraps it with both. The reader
/// trusts nothing: counts are checked against the bytes left before anything is allocated, every item goes
/// through the same constructors as parsed input, order is checked, and the history is checked to lead to the
/// set (<see cref="DiffEngine.TryRestore"/>).</para>
/// </remarks>
public static class PayloadSnapshotBinary
{
    private const int V4Size = 10;
    private const int V6Size = 22;
    private const int KeyFixedSize = RouterKey.SkiLength + 4 + 2;
    private const int AspaFixedSize = 4 + 2;

    /// <summary>Appends the binary form of <paramref name="snapshot"/> to <paramref name="output"/>.</summary>
    public static void Write(PayloadSnapshot snapshot, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(output);
        var head = output.GetSpan(12);
        BinaryPrimitives.WriteUInt32BigEndian(head, snapshot.Serial.Value);
        BinaryPrimitives.WriteInt64BigEndian(head[4..], snapshot.CreatedAt.ToUnixTimeMilliseconds());
        output.Advance(12);

        var set = snapshot.Payload;
        WriteVrps(output, set.V4, v6: false);
        WriteVrps(output, set.V6, v6: true);
        WriteCount(output, set.RouterKeyCount);
        foreach (var k in set.RouterKeys) WriteKey(output, k);
        WriteCount(output, set.AspaCount);
        foreach (var a in set.Aspas) WriteAspa(output, a);

        var steps = snapshot.Steps();
        WriteCount(output, steps.Count);
        foreach (var step in steps)
        {
            BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(4), step.From.Value);
            output.Advance(4);
            WriteDelta(output, step.Delta);
        }
    }

    /// <summary>The binary form as one array (tests and benchmarks; the cache streams it).</summary>
    public static byte[] ToArray(PayloadSnapshot snapshot)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(snapshot, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads what <see cref="Write"/> wrote and rebuilds the snapshot through <paramref name="engine"/> (which
    /// also trims the history to its size). False with the reason, never an exception, for anything malformed.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> data, DiffEngine engine,
        [NotNullWhen(true)] out PayloadSnapshot? snapshot, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(engine);
        snapshot = null;
        var r = new Reader(data);
        try
        {
            var serial = new Serial(r.U32());
            long createdMs = r.I64();
            if (createdMs < -62135596800000 || createdMs > 253402300799999)
                throw new MalformedException($"creation time {createdMs} ms is out of range");
            var created = DateTimeOffset.FromUnixTimeMilliseconds(createdMs);

            var v4 = ReadVrps(ref r, v6: false);
            var v6 = ReadVrps(ref r, v6: true);
            var keys = new RouterKey[r.Count(KeyFixedSize + 1)];
            for (int i = 0; i < keys.Length; i++) keys[i] = ReadKey(ref r);
            var aspas = new Aspa[r.Count(AspaFixedSize + 4)];
            for (int i = 0; i < aspas.Length; i++) aspas[i] = ReadAspa(ref r);
            if (!PayloadSet.TryCreateSorted(v4, v6, keys, aspas, out var set, out var setError))
                throw new MalformedException("payload set: " + setError);

            var steps = new SerialDelta[r.Count(4 + 7 * 4)];
            for (int i = 0; i < steps.Length; i++)
            {
                var from = new Serial(r.U32());
                steps[i] = new SerialDelta(from, ReadDelta(ref r));
            }
            if (r.Remaining != 0) throw new MalformedException($"{r.Remaining} bytes after the end of the snapshot");
            return engine.TryRestore(serial, set, steps, created, out snapshot, out error);
        }
        catch (MalformedException e)
        {
            error = $"{e.Message} (at byte {r.Position})";
            return false;
        }
    }

    // ------------------------------------------------------------------ writing

    private static void WriteCount(IBufferWriter<byte> output, int count)
    {
        BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(4), (uint)count);
        output.Advance(4);
    }

    private static void WriteVrps(IBufferWriter<byte> output, IReadOnlyList<Vrp> vrps, bool v6)
    {
        WriteCount(output, vrps.Count);
        int size = v6 ? V6Size : V4Size;
        // Chunks keep each requested span small whatever the count.
        for (int start = 0; start < vrps.Count; start += 4096)
        {
            int n = Math.Min(4096, vrps.Count - start);
            var span = output.GetSpan(n * size);
            for (int i = 0; i < n; i++) WriteVrp(span[(i * size)..], vrps[start + i]);
            output.Advance(n * size);
        }
    }

    private static void WriteVrps(IBufferWriter<byte> output, ReadOnlySpan<Vrp> vrps, bool v6)
    {
        WriteCount(output, vrps.Length);
        int size = v6 ? V6Size : V4Size;
        for (int start = 0; start < vrps.Length; start += 4096)
        {
            int n = Math.Min(4096, vrps.Length - start);
            var span = output.GetSpan(n * size);
            for (int i = 0; i < n; i++) WriteVrp(span[(i * size)..], vrps[start + i]);
            output.Advance(n * size);
        }
    }

    private static void WriteVrp(Span<byte> b, Vrp v)
    {
        int a = v.WriteAddress(b);
        b[a] = v.PrefixLength;
        b[a + 1] = v.MaxLength;
        BinaryPrimitives.WriteUInt32BigEndian(b[(a + 2)..], v.Asn);
    }

    private static void WriteKey(IBufferWriter<byte> output, RouterKey k)
    {
        int size = KeyFixedSize + k.SubjectPublicKeyInfo.Length;
        var b = output.GetSpan(size);
        k.Ski.AsSpan().CopyTo(b);
        BinaryPrimitives.WriteUInt32BigEndian(b[RouterKey.SkiLength..], k.Asn);
        BinaryPrimitives.WriteUInt16BigEndian(b[(RouterKey.SkiLength + 4)..], (ushort)k.SubjectPublicKeyInfo.Length);
        k.SubjectPublicKeyInfo.AsSpan().CopyTo(b[KeyFixedSize..]);
        output.Advance(size);
    }

    private static void WriteAspa(IBufferWriter<byte> output, Aspa a)
    {
        BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(4), a.Customer);
        output.Advance(4);
        WriteProviders(output, a.Providers);
    }

    private static void WriteProviders(IBufferWriter<byte> output, ImmutableArray<uint> providers)
    {
        int size = 2 + 4 * providers.Length;
        var b = output.GetSpan(size);
        BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)providers.Length);
        for (int i = 0; i < providers.Length; i++) BinaryPrimitives.WriteUInt32BigEndian(b[(2 + 4 * i)..], providers[i]);
        output.Advance(size);
    }

    private static void WriteDelta(IBufferWriter<byte> output, PayloadDelta d)
    {
        WriteVrps(output, d.AnnouncedV4, v6: false);
        WriteVrps(output, d.WithdrawnV4, v6: false);
        WriteVrps(output, d.AnnouncedV6, v6: true);
        WriteVrps(output, d.WithdrawnV6, v6: true);
        WriteCount(output, d.AnnouncedRouterKeys.Count);
        foreach (var k in d.AnnouncedRouterKeys) WriteKey(output, k);
        WriteCount(output, d.WithdrawnRouterKeys.Count);
        foreach (var k in d.WithdrawnRouterKeys) WriteKey(output, k);
        WriteCount(output, d.AspaChanges.Count);
        foreach (var c in d.AspaChanges)
        {
            var b = output.GetSpan(5);
            BinaryPrimitives.WriteUInt32BigEndian(b, c.Customer);
            b[4] = (byte)((c.Before is null ? 0 : 1) | (c.After is null ? 0 : 2));
            output.Advance(5);
            if (c.Before is not null) WriteProviders(output, c.Before.Providers);
            if (c.After is not null) WriteProviders(output, c.After.Providers);
        }
    }

    // ------------------------------------------------------------------ reading

    private static Vrp[] ReadVrps(ref Reader r, bool v6)
    {
        int size = v6 ? V6Size : V4Size;
        var vrps = new Vrp[r.Count(size)];
        for (int i = 0; i < vrps.Length; i++)
        {
            var b = r.Bytes(size);
            int a = v6 ? 16 : 4;
            byte plen = b[a], mlen = b[a + 1];
            uint asn = BinaryPrimitives.ReadUInt32BigEndian(b[(a + 2)..]);
            bool ok = v6
                ? Vrp.TryCreateV6(BinaryPrimitives.ReadUInt128BigEndian(b), plen, mlen, asn, out vrps[i], out var error)
                : Vrp.TryCreateV4(BinaryPrimitives.ReadUInt32BigEndian(b), plen, mlen, asn, out vrps[i], out error);
            if (!ok) throw new MalformedException($"VRP {i}: {error}");
        }
        return vrps;
    }

    private static RouterKey ReadKey(ref Reader r)
    {
        var ski = r.Bytes(RouterKey.SkiLength);
        uint asn = r.U32();
        int length = r.U16();
        var spki = r.Bytes(length);
        return RouterKey.TryCreate(ski, asn, spki, out var key, out var error) ? key : throw new MalformedException(error);
    }

    private static Aspa ReadAspa(ref Reader r) => ReadProviders(ref r, r.U32());

    private static Aspa ReadProviders(ref Reader r, uint customer)
    {
        int n = r.U16();
        var b = r.Bytes(4 * n);
        var providers = new uint[n];
        for (int i = 0; i < n; i++) providers[i] = BinaryPrimitives.ReadUInt32BigEndian(b[(4 * i)..]);
        return Aspa.TryCreate(customer, ImmutableCollectionsMarshal.AsImmutableArray(providers), out var aspa, out var error)
            ? aspa
            : throw new MalformedException(error);
    }

    private static PayloadDelta ReadDelta(ref Reader r)
    {
        var a4 = ReadVrps(ref r, v6: false);
        var w4 = ReadVrps(ref r, v6: false);
        var a6 = ReadVrps(ref r, v6: true);
        var w6 = ReadVrps(ref r, v6: true);
        var ak = new RouterKey[r.Count(KeyFixedSize + 1)];
        for (int i = 0; i < ak.Length; i++) ak[i] = ReadKey(ref r);
        var wk = new RouterKey[r.Count(KeyFixedSize + 1)];
        for (int i = 0; i < wk.Length; i++) wk[i] = ReadKey(ref r);
        var changes = new AspaChange[r.Count(5)];
        for (int i = 0; i < changes.Length; i++)
        {
            uint customer = r.U32();
            byte flags = r.U8();
            if (flags is 0 or > 3) throw new MalformedException($"ASPA change of AS{customer} has flags {flags}");
            var before = (flags & 1) != 0 ? ReadProviders(ref r, customer) : null;
            var after = (flags & 2) != 0 ? ReadProviders(ref r, customer) : null;
            changes[i] = new AspaChange(customer, before, after);
        }
        var delta = new PayloadDelta(a4, w4, a6, w6, ak, wk, changes);
        return delta.CheckWellFormed() is { } error ? throw new MalformedException("delta: " + error) : delta;
    }

    /// <summary>Only thrown and caught inside this class: the reader's way out of a deep parse.</summary>
    private sealed class MalformedException(string message) : Exception(message);

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;

        public int Position { get; private set; }
        public readonly int Remaining => _data.Length - Position;

        public ReadOnlySpan<byte> Bytes(int n)
        {
            if (n < 0 || n > Remaining) throw new MalformedException($"truncated: {n} bytes needed, {Remaining} left");
            var s = _data.Slice(Position, n);
            Position += n;
            return s;
        }

        public byte U8() => Bytes(1)[0];
        public ushort U16() => BinaryPrimitives.ReadUInt16BigEndian(Bytes(2));
        public uint U32() => BinaryPrimitives.ReadUInt32BigEndian(Bytes(4));
        public long I64() => BinaryPrimitives.ReadInt64BigEndian(Bytes(8));

        /// <summary>A count of items of at least <paramref name="minItemSize"/> bytes each, refused before allocating if the rest cannot hold them.</summary>
        public int Count(int minItemSize)
        {
            uint n = U32();
            if (n > (uint)(Remaining / minItemSize)) throw new MalformedException($"count {n} cannot fit in the {Remaining} bytes left");
            return (int)n;
        }
    }
}
