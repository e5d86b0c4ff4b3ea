using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using RtrCache.Payload;
using RtrCache.Rtr.Protocol;

namespace RtrCache.Testing;

/// <summary>
/// A small RTR router for tests and benchmarks: speaks any version over a real TCP socket (or any stream, such
/// as a TLS one), decodes with the production reader, and keeps a strict <see cref="RouterModel"/>. Every wait
/// is bounded by a timeout.
/// </summary>
public sealed class RtrTestClient : IAsyncDisposable
{
    private readonly Socket? _socket;
    private readonly PipeReader _reader;
    private readonly Stream _stream;
    private readonly List<RtrPdu> _pending = [];

    private RtrTestClient(Socket socket)
        : this(new NetworkStream(socket, ownsSocket: false), socket)
    {
    }

    private RtrTestClient(Stream stream, Socket? socket)
    {
        _socket = socket;
        _stream = stream;
        _reader = PipeReader.Create(_stream);
    }

    /// <summary>
    /// A client over an already connected <paramref name="stream"/> (e.g. an authenticated <see cref="SslStream"/>);
    /// the client owns and disposes it.
    /// </summary>
    public static RtrTestClient Over(Stream stream, byte version) => new(stream, null) { Version = version };

    /// <summary>
    /// Connects over TCP and completes a TLS handshake (RTR over TLS, RFC 8210 §9) within 10 s; the handshake
    /// failing (e.g. the cache refuses the client certificate) throws.
    /// </summary>
    public static async Task<RtrTestClient> ConnectTlsAsync(IPEndPoint endpoint, byte version, SslClientAuthenticationOptions tls, CancellationToken ct = default)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await socket.ConnectAsync(endpoint, timeout.Token);
            var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
            try
            {
                await ssl.AuthenticateAsClientAsync(tls, timeout.Token);
            }
            catch
            {
                await ssl.DisposeAsync();
                throw;
            }
            return new RtrTestClient(ssl, null) { Version = version };
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public byte Version { get; set; }
    public SessionId? Session { get; private set; }
    public Serial? Serial { get; private set; }
    public RtrTimers? Timers { get; private set; }
    public RouterModel Model { get; } = new();
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(20);

    public static async Task<RtrTestClient> ConnectAsync(IPEndPoint endpoint, byte version, CancellationToken ct = default)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(endpoint, timeout.Token);
        return new RtrTestClient(socket) { Version = version };
    }

    /// <summary>Sends raw bytes (for malformed-input tests).</summary>
    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    public Task SendResetQueryAsync()
    {
        var w = new ArrayBufferWriter<byte>();
        PduWriter.WriteResetQuery(w, Version);
        return SendRawAsync(w.WrittenMemory);
    }

    public Task SendSerialQueryAsync(SessionId session, Serial serial)
    {
        var w = new ArrayBufferWriter<byte>();
        PduWriter.WriteSerialQuery(w, Version, session, serial);
        return SendRawAsync(w.WrittenMemory);
    }

    /// <summary>Reads the next PDU (bounded by <see cref="Timeout"/>); null when the cache closed the connection.</summary>
    public async Task<RtrPdu?> ReadPduAsync()
    {
        if (_pending.Count > 0)
        {
            var first = _pending[0];
            _pending.RemoveAt(0);
            return first;
        }
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            var read = await _reader.ReadAsync(cts.Token);
            var buffer = read.Buffer;
            var status = PduReader.TryRead(ref buffer, out var pdu, out var error);
            if (status == ReadStatus.Pdu)
            {
                _reader.AdvanceTo(buffer.Start);
                return pdu;
            }
            if (status == ReadStatus.Malformed) throw new InvalidDataException($"cache sent a malformed PDU: {error}");
            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (read.IsCompleted) return null;
        }
    }

    /// <summary>The result of one query.</summary>
    public sealed record SyncResult(RtrPdu First, IReadOnlyList<RtrPdu> Payload, RtrPdu? EndOfData)
    {
        public bool IsCacheReset => First.Type == PduType.CacheReset;
        public bool IsError => First.Type == PduType.ErrorReport;
    }

    /// <summary>
    /// Reads a whole answer: Cache Response … End of Data (applied to <see cref="Model"/>), or a single Cache
    /// Reset / Error Report. Serial Notify PDUs arriving first are skipped.
    /// </summary>
    public async Task<SyncResult> ReadResponseAsync(bool applyAsReset)
    {
        RtrPdu first;
        do
        {
            first = await ReadPduAsync() ?? throw new EndOfStreamException("cache closed the connection before answering");
        } while (first.Type == PduType.SerialNotify);
        if (first.Type != PduType.CacheResponse) return new SyncResult(first, [], null);
        if (first.Version != Version) throw new InvalidDataException($"Cache Response has version {first.Version}, session is {Version}");
        if (applyAsReset) Model.Clear();
        var payload = new List<RtrPdu>();
        while (true)
        {
            var pdu = await ReadPduAsync() ?? throw new EndOfStreamException("cache closed the connection inside a response");
            if (pdu.Version != Version) throw new InvalidDataException($"PDU {pdu} has version {pdu.Version}, session is {Version}");
            if (pdu.Type == PduType.EndOfData)
            {
                if (pdu.SessionId != first.SessionId) throw new InvalidDataException("End of Data session differs from Cache Response");
                Session = pdu.SessionId;
                Serial = pdu.Serial;
                Timers = pdu.Timers;
                return new SyncResult(first, payload, pdu);
            }
            if (pdu.Type == PduType.SerialNotify)
                throw new InvalidDataException("Serial Notify inside a Cache Response");
            Model.Apply(pdu);
            payload.Add(pdu);
        }
    }

    /// <summary>Reset Query and the full answer.</summary>
    public async Task<SyncResult> ResetAsync()
    {
        await SendResetQueryAsync();
        return await ReadResponseAsync(applyAsReset: true);
    }

    /// <summary>Serial Query for the held session and serial, and the answer.</summary>
    public async Task<SyncResult> SerialAsync()
    {
        await SendSerialQueryAsync(Session ?? throw new InvalidOperationException("no session yet"), Serial!.Value);
        return await ReadResponseAsync(applyAsReset: false);
    }

    /// <summary>True when the cache closed the connection within <see cref="Timeout"/>.</summary>
    public async Task<bool> WaitForCloseAsync()
    {
        try
        {
            while (await ReadPduAsync() is not null) { }
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync();
        await _stream.DisposeAsync();
        _socket?.Dispose();
    }
}
