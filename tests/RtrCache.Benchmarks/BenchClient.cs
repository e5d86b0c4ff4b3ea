using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RtrCache.Benchmarks;

/// <summary>
/// A deliberately cheap RTR router for load tests: it walks PDU headers in a reusable buffer and only looks
/// inside Serial Notify and End of Data, so the client side is never what a measurement measures.
/// </summary>
public sealed class BenchClient : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[256 * 1024];
    private int _start, _end;

    private BenchClient(Socket socket) => _socket = socket;

    public ushort Session { get; private set; }
    public uint Serial { get; private set; }
    public long PayloadPdus { get; private set; }

    public static async Task<BenchClient> ConnectAsync(IPEndPoint ep, CancellationToken ct)
    {
        var s = new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await s.ConnectAsync(ep, ct);
        return new BenchClient(s);
    }

    public ValueTask<int> SendResetQueryAsync(byte version, CancellationToken ct)
    {
        var q = new byte[8];
        q[0] = version;
        q[1] = 2;
        q[7] = 8;
        return _socket.SendAsync(q, SocketFlags.None, ct);
    }

    public ValueTask<int> SendSerialQueryAsync(byte version, CancellationToken ct) => SendSerialQueryFromAsync(version, Serial, ct);

    /// <summary>Serial Query for the held session from <paramref name="serial"/>.</summary>
    public ValueTask<int> SendSerialQueryFromAsync(byte version, uint serial, CancellationToken ct)
    {
        var q = new byte[12];
        q[0] = version;
        q[1] = 1;
        BinaryPrimitives.WriteUInt16BigEndian(q.AsSpan(2), Session);
        q[7] = 12;
        BinaryPrimitives.WriteUInt32BigEndian(q.AsSpan(8), serial);
        return _socket.SendAsync(q, SocketFlags.None, ct);
    }

    private int _skip;

    /// <summary>Reads PDUs until one whose type satisfies <paramref name="stopAt"/>; returns that type, or -1 on close.</summary>
    public async Task<int> ReadUntilAsync(Func<int, bool> stopAt, CancellationToken ct)
    {
        while (true)
        {
            while (_skip == 0 && _end - _start >= 8)
            {
                int type = _buffer[_start + 1];
                int length = (int)BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(_start + 4));
                if (length < 8 || length > 65535) throw new InvalidDataException($"bad PDU length {length}");
                int available = _end - _start;
                if (available < length)
                {
                    if (type is 0 or 7 or 8 or 10) break; // read these whole
                    PayloadPdus++;
                    _skip = length - available;           // payload: count it and skip its rest
                    _start = _end = 0;
                    break;
                }
                if (type is 0 or 7)
                {
                    Session = BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(_start + 2));
                    Serial = BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(_start + 8));
                }
                else if (type is 4 or 6 or 9 or 11) PayloadPdus++;
                _start += length;
                if (stopAt(type)) return type;
            }
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            int n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, ct);
            if (n == 0) return -1;
            if (_skip > 0)
            {
                int s = Math.Min(_skip, n);
                _skip -= s;
                _start = s;
            }
            _end += n;
        }
    }

    /// <summary>Reset Query → End of Data; returns elapsed time, or null when the cache answered otherwise.</summary>
    public async Task<TimeSpan?> FullSyncAsync(byte version, CancellationToken ct)
    {
        long t0 = Stopwatch.GetTimestamp();
        await SendResetQueryAsync(version, ct);
        int last = await ReadUntilAsync(t => t is 7 or 8 or 10, ct);
        return last == 7 ? Stopwatch.GetElapsedTime(t0) : null;
    }

    public void Dispose() => _socket.Dispose();
}
