using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using RtrCache.Payload;
using RtrCache.Payload.Formats;
using RtrCache.Rtr.Cache;

using RtrCache.Fetch.Store;

namespace RtrCache.Host.Serving.Persistence;

/// <summary>What a restarted cache needs to continue where it stopped.</summary>
/// <param name="Snapshot">Serial, payload set and delta history.</param>
/// <param name="Sessions">The RTR session IDs, so routers keep their serial space.</param>
/// <param name="LastRunAt">End of the last successful update round before the save (readiness staleness).</param>
public sealed record PersistedState(PayloadSnapshot Snapshot, SessionIds Sessions, DateTimeOffset LastRunAt);

/// <summary>
/// The state file in <c>--cache-dir</c>: a versioned header, the snapshot in <see cref="PayloadSnapshotBinary"/>
/// form, and a SHA-256 of everything before it. A file that is cut short, bit-flipped, from a newer format or
/// inconsistent is refused with a reason; the cache then starts fresh with new session IDs (routers reset),
/// which is always safe, while serving damaged data never is.
/// </summary>
/// <remarks>
/// <code>
/// offset size
///  0      8   magic "RTRCSTAT"
///  8      2   format version (1), big-endian
/// 10      2   flags (0)
/// 12      6   RTR session IDs v0, v1, v2 (u16 each)
/// 18      8   last successful update round, Unix ms (i64)
/// 26      n   snapshot body (PayloadSnapshotBinary)
/// 26+n   32   SHA-256 of bytes 0 .. 26+n
/// </code>
/// </remarks>
public static class StateFile
{
    public const string FileName = "rtr-state.bin";
    public const ushort FormatVersion = 1;
    public const int HeaderSize = 26;
    public const int ChecksumSize = SHA256.HashSizeInBytes;

    /// <summary>Refuses absurd files before reading them into memory (a global set with history is ~15 MB).</summary>
    public const long MaxFileSize = 1L << 30;

    private static ReadOnlySpan<byte> Magic => "RTRCSTAT"u8;

    /// <summary>Writes <paramref name="state"/> to <paramref name="path"/> atomically; returns the file size.</summary>
    public static long Write(string path, PersistedState state) => AtomicFile.Write(path, s => WriteTo(s, state));

    /// <summary>Streams the file content to <paramref name="stream"/> (no second copy of the data in memory).</summary>
    public static void WriteTo(Stream stream, PersistedState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var writer = new HashingStreamWriter(stream);
        var h = writer.GetSpan(HeaderSize);
        Magic.CopyTo(h);
        BinaryPrimitives.WriteUInt16BigEndian(h[8..], FormatVersion);
        BinaryPrimitives.WriteUInt16BigEndian(h[10..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(h[12..], state.Sessions.V0.Value);
        BinaryPrimitives.WriteUInt16BigEndian(h[14..], state.Sessions.V1.Value);
        BinaryPrimitives.WriteUInt16BigEndian(h[16..], state.Sessions.V2.Value);
        BinaryPrimitives.WriteInt64BigEndian(h[18..], state.LastRunAt.ToUnixTimeMilliseconds());
        writer.Advance(HeaderSize);
        PayloadSnapshotBinary.Write(state.Snapshot, writer);
        writer.Finish();
    }

    /// <summary>Reads and checks the file at <paramref name="path"/>; false with the reason when absent or unusable.</summary>
    public static bool TryLoad(string path, DiffEngine engine, [NotNullWhen(true)] out PersistedState? state, [NotNullWhen(false)] out string? error, out long size)
    {
        state = null;
        size = 0;
        byte[] data;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            size = file.Length;
            if (size > MaxFileSize)
            {
                error = $"{size} bytes, more than a state file can be ({MaxFileSize})";
                return false;
            }
            data = GC.AllocateUninitializedArray<byte>((int)size);
            file.ReadExactly(data);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = e.Message;
            return false;
        }
        return TryRead(data, engine, out state, out error);
    }

    /// <summary>Checks and decodes the content of a state file.</summary>
    public static bool TryRead(ReadOnlySpan<byte> data, DiffEngine engine, [NotNullWhen(true)] out PersistedState? state, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(engine);
        state = null;
        if (data.Length < HeaderSize + ChecksumSize)
        {
            error = $"{data.Length} bytes, too short for a state file";
            return false;
        }
        if (!data[..8].SequenceEqual(Magic))
        {
            error = "not an rtrcache state file (wrong magic)";
            return false;
        }
        ushort version = BinaryPrimitives.ReadUInt16BigEndian(data[8..]);
        if (version != FormatVersion)
        {
            error = $"state file format {version}; this rtrcache reads format {FormatVersion}";
            return false;
        }
        var content = data[..^ChecksumSize];
        Span<byte> hash = stackalloc byte[ChecksumSize];
        SHA256.HashData(content, hash);
        if (!hash.SequenceEqual(data[^ChecksumSize..]))
        {
            error = "SHA-256 checksum mismatch (file damaged or cut short)";
            return false;
        }
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(data[10..]);
        if (flags != 0)
        {
            error = $"unknown flags {flags}";
            return false;
        }
        var sessions = new SessionIds(
            new SessionId(BinaryPrimitives.ReadUInt16BigEndian(data[12..])),
            new SessionId(BinaryPrimitives.ReadUInt16BigEndian(data[14..])),
            new SessionId(BinaryPrimitives.ReadUInt16BigEndian(data[16..])));
        long lastRunMs = BinaryPrimitives.ReadInt64BigEndian(data[18..]);
        if (lastRunMs is < 0 or > 253402300799999)
        {
            error = $"last run time {lastRunMs} ms out of range";
            return false;
        }
        if (!PayloadSnapshotBinary.TryRead(content[HeaderSize..], engine, out var snapshot, out var snapshotError))
        {
            error = "snapshot: " + snapshotError;
            return false;
        }
        state = new PersistedState(snapshot, sessions, DateTimeOffset.FromUnixTimeMilliseconds(lastRunMs));
        error = null;
        return true;
    }

    /// <summary>
    /// An <see cref="IBufferWriter{T}"/> that hashes what passes through and writes it to a stream in large
    /// chunks; <see cref="Finish"/> appends the hash.
    /// </summary>
    private sealed class HashingStreamWriter(Stream stream) : IBufferWriter<byte>, IDisposable
    {
        private const int ChunkSize = 1 << 20;
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        private int _used;

        public void Advance(int count)
        {
            if (count < 0 || _used + count > _buffer.Length) throw new ArgumentOutOfRangeException(nameof(count));
            _used += count;
        }

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _buffer.AsMemory(_used);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _buffer.AsSpan(_used);
        }

        private void Ensure(int sizeHint)
        {
            int need = Math.Max(sizeHint, 1);
            if (_buffer.Length - _used >= need) return;
            Flush();
            if (_buffer.Length < need)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = ArrayPool<byte>.Shared.Rent(need);
            }
        }

        private void Flush()
        {
            if (_used == 0) return;
            _hash.AppendData(_buffer, 0, _used);
            stream.Write(_buffer, 0, _used);
            _used = 0;
        }

        public void Finish()
        {
            Flush();
            stream.Write(_hash.GetHashAndReset());
        }

        public void Dispose()
        {
            _hash.Dispose();
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
