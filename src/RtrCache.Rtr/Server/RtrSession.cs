using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using RtrCache.Payload;
using RtrCache.Rtr.Cache;
using RtrCache.Rtr.Protocol;

namespace RtrCache.Rtr.Server;

/// <summary>
/// One router connection: the cache-side state machine of draft-ietf-sidrops-8210bis §7–§10 over a duplex
/// pipe. It negotiates the version on the first query, answers Reset Query with the shared full body and
/// Serial Query with the shared net delta (or Cache Reset), sends Serial Notify when the store publishes a
/// new serial, and answers bad input with the Error Report its version defines before closing.
/// </summary>
/// <remarks>
/// Two loops share the output: the query loop and the notify loop; a per-session write gate keeps their PDUs
/// from interleaving. Neither ever holds more than one chunk of the shared bytes in the pipe, so a slow router
/// costs the pipe's bounded buffer, not a copy of the table.
/// </remarks>
public sealed class RtrSession
{
    private const int ChunkSize = 128 * 1024;

    private readonly IDuplexPipe _transport;
    private readonly SnapshotStore _store;
    private readonly RtrServerOptions _options;
    private readonly IRtrObserver _observer;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    private byte? _version;
    private SessionId? _sessionId;
    private Serial? _routerSerial;
    private Serial? _notifiedSerial;
    private long _lastNotifyTimestamp;

    public RtrSession(IDuplexPipe transport, SnapshotStore store, RtrServerOptions options, IRtrObserver observer,
        ILogger logger, TimeProvider time, RtrSessionInfo info)
    {
        _transport = transport;
        _store = store;
        _options = options;
        _observer = observer;
        _logger = logger;
        _time = time;
        Info = info;
    }

    public RtrSessionInfo Info { get; }

    /// <summary>Runs the session until the router leaves, misbehaves, or <paramref name="cancellation"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellation)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var notify = NotifyLoopAsync(done.Token);
        string reason = "closed by router";
        try
        {
            reason = await ReadLoopAsync(done.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            reason = "server shutting down";
        }
        catch (OperationCanceledException ex)
        {
            reason = "connection aborted: " + ex.Message;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            reason = "transport error: " + ex.Message;
        }
        finally
        {
            await done.CancelAsync().ConfigureAwait(false);
            try { await notify.ConfigureAwait(false); } catch (Exception) { /* notify loop ends with the session */ }
            await _transport.Output.CompleteAsync().ConfigureAwait(false);
            await _transport.Input.CompleteAsync().ConfigureAwait(false);
            _observer.SessionEnded(Info, reason);
            _logger.LogInformation("RTR session {Session} ended: {Reason}", Info, reason);
        }
    }

    private async Task<string> ReadLoopAsync(CancellationToken ct)
    {
        var input = _transport.Input;
        CancellationTokenSource? partialTimer = null;
        try
        {
            while (true)
            {
                ReadResult read;
                try
                {
                    read = await input.ReadAsync(partialTimer?.Token ?? ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (partialTimer?.IsCancellationRequested == true && !ct.IsCancellationRequested)
                {
                    return $"no complete PDU within {_options.PartialPduTimeout.TotalSeconds:0} s";
                }
                var buffer = read.Buffer;
                bool progressed = false;
                while (true)
                {
                    var status = PduReader.TryRead(ref buffer, out var pdu, out var error);
                    if (status == ReadStatus.Incomplete) break;
                    if (status == ReadStatus.Malformed)
                    {
                        input.AdvanceTo(buffer.Start, buffer.End);
                        return await HandleMalformedAsync(error!, ct).ConfigureAwait(false);
                    }
                    progressed = true;
                    string? end = await HandlePduAsync(pdu, ct).ConfigureAwait(false);
                    if (end is not null)
                    {
                        input.AdvanceTo(buffer.Start, buffer.End);
                        return end;
                    }
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted || read.IsCanceled) return buffer.IsEmpty ? "closed by router" : "closed by router inside a PDU";

                // The clock runs from the moment a PDU started to arrive, not from the last byte: a router that
                // trickles a byte at a time must not hold a half PDU open for ever.
                if (buffer.IsEmpty || progressed)
                {
                    partialTimer?.Dispose();
                    partialTimer = null;
                }
                if (!buffer.IsEmpty && partialTimer is null)
                {
                    partialTimer = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    partialTimer.CancelAfter(_options.PartialPduTimeout);
                }
            }
        }
        finally
        {
            partialTimer?.Dispose();
        }
    }

    /// <summary>Handles one well-formed PDU; returns a reason to end the session, or null to go on.</summary>
    private async ValueTask<string?> HandlePduAsync(RtrPdu pdu, CancellationToken ct)
    {
        if (pdu.Type == PduType.ErrorReport)
        {
            _observer.ErrorReportReceived(pdu.Version, pdu.ErrorCode);
            _logger.LogWarning("RTR session {Session} received Error Report {Code} ({CodeName}): {Text}", Info, (int)pdu.ErrorCode, pdu.ErrorCode, pdu.ErrorText);
            // Error 4 and 2 are not fatal for the router, but a cache has nothing to add: the router reconnects or retries.
            return $"router sent Error Report {(int)pdu.ErrorCode}";
        }

        if (_version is null)
        {
            if (pdu.Version > _options.MaxVersion)
            {
                await SendErrorAsync(_options.MaxVersion, ErrorCode.UnsupportedProtocolVersion, pdu, $"highest supported version is {_options.MaxVersion}", ct).ConfigureAwait(false);
                return $"router asked for version {pdu.Version}, above {_options.MaxVersion}";
            }
        }
        else if (pdu.Version != _version)
        {
            await SendErrorAsync(_version.Value, ErrorCode.UnexpectedProtocolVersion, pdu, $"session runs version {_version}, PDU has version {pdu.Version}", ct).ConfigureAwait(false);
            return $"PDU version {pdu.Version} in a version {_version} session";
        }

        switch (pdu.Type)
        {
            case PduType.ResetQuery:
                _observer.QueryReceived(pdu.Version, pdu.Type);
                return await AnswerResetQueryAsync(pdu, ct).ConfigureAwait(false);
            case PduType.SerialQuery:
                _observer.QueryReceived(pdu.Version, pdu.Type);
                return await AnswerSerialQueryAsync(pdu, ct).ConfigureAwait(false);
            default:
                byte v = _version ?? pdu.Version;
                await SendErrorAsync(v, ErrorCode.InvalidRequest, pdu, $"a cache accepts only Serial Query, Reset Query and Error Report, not {pdu.Type}", ct).ConfigureAwait(false);
                return $"router sent {pdu.Type}";
        }
    }

    private async ValueTask<string?> AnswerResetQueryAsync(RtrPdu query, CancellationToken ct)
    {
        var snapshot = _store.Current;
        if (snapshot is null) return await NoDataAsync(query, ct).ConfigureAwait(false);
        Negotiate(query.Version);
        await SendResponseAsync(snapshot, snapshot.Full(query.Version), full: true, ct).ConfigureAwait(false);
        return null;
    }

    private async ValueTask<string?> AnswerSerialQueryAsync(RtrPdu query, CancellationToken ct)
    {
        var snapshot = _store.Current;
        if (snapshot is null) return await NoDataAsync(query, ct).ConfigureAwait(false);
        byte version = query.Version;
        var current = snapshot.Sessions.For(version);
        if (_sessionId is { } established && established != query.SessionId)
        {
            await SendErrorAsync(version, ErrorCode.CorruptData, query, $"Serial Query for session {query.SessionId}, this connection uses session {established}", ct).ConfigureAwait(false);
            return "Session ID changed within the connection";
        }
        Negotiate(version);
        var body = query.SessionId == current ? snapshot.DeltaFrom(query.Serial, version) : null;
        if (body is null)
        {
            await WriteGatedAsync(w => PduWriter.WriteCacheReset(w, version), ct).ConfigureAwait(false);
            _observer.CacheResetSent(version);
            _logger.LogDebug("RTR session {Session}: Cache Reset for session {SessionId} serial {Serial}", Info, query.SessionId, query.Serial);
            return null;
        }
        await SendResponseAsync(snapshot, body, full: false, ct).ConfigureAwait(false);
        return null;
    }

    private async ValueTask<string?> NoDataAsync(RtrPdu query, CancellationToken ct)
    {
        await SendErrorAsync(query.Version, ErrorCode.NoDataAvailable, query, "no validated data yet", ct).ConfigureAwait(false);
        return null;
    }

    private void Negotiate(byte version)
    {
        if (_version is not null) return;
        _version = version;
        Info.Version = version;
        _observer.SessionNegotiated(Info);
    }

    private async Task SendResponseAsync(RtrSnapshot snapshot, EncodedPayload body, bool full, CancellationToken ct)
    {
        byte version = _version!.Value;
        var session = snapshot.Sessions.For(version);
        long start = _time.GetTimestamp();
        await _writeGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var output = _transport.Output;
            PduWriter.WriteCacheResponse(output, version, session);
            var bytes = body.Bytes;
            using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
            while (!bytes.IsEmpty)
            {
                var chunk = bytes[..Math.Min(ChunkSize, bytes.Length)];
                output.Write(chunk.Span);
                bytes = bytes[chunk.Length..];
                stall.CancelAfter(_options.WriteStallTimeout);
                await FlushAsync(output, stall, ct).ConfigureAwait(false);
            }
            PduWriter.WriteEndOfData(output, version, session, snapshot.Serial, snapshot.Timers);
            stall.CancelAfter(_options.WriteStallTimeout);
            await FlushAsync(output, stall, ct).ConfigureAwait(false);
            _sessionId = session;
            _routerSerial = snapshot.Serial;
            Info.Serial = snapshot.Serial;
            Info.LastQueryAt = _time.GetUtcNow();
        }
        finally
        {
            _writeGate.Release();
        }
        _observer.ResponseSent(version, full, body.PduCount + 2, body.Length + 8 + (version == 0 ? 12 : 24), _time.GetElapsedTime(start));
    }

    private static async ValueTask FlushAsync(PipeWriter output, CancellationTokenSource stall, CancellationToken sessionToken)
    {
        try
        {
            var result = await output.FlushAsync(stall.Token).ConfigureAwait(false);
            if (result.IsCompleted) throw new IOException("router closed the connection");
        }
        catch (OperationCanceledException) when (!sessionToken.IsCancellationRequested)
        {
            throw new IOException("router stopped reading (write stalled)");
        }
    }

    private Task SendErrorAsync(byte version, ErrorCode code, RtrPdu pdu, string text, CancellationToken ct)
        => SendErrorAsync(version, code, Reencode(pdu), text, ct);

    /// <summary>The offending PDU to encapsulate; queries are re-encoded exactly as they arrived (fixed layouts).</summary>
    private static byte[] Reencode(RtrPdu pdu)
    {
        var w = new ArrayBufferWriter<byte>(16);
        switch (pdu.Type)
        {
            case PduType.SerialQuery: PduWriter.WriteSerialQuery(w, pdu.Version, pdu.SessionId, pdu.Serial); break;
            case PduType.ResetQuery: PduWriter.WriteResetQuery(w, pdu.Version); break;
            default:
                // Other PDUs are not expected from a router; encapsulate the header, as rtrlib does for header errors.
                var h = new byte[8];
                h[0] = pdu.Version;
                h[1] = (byte)pdu.Type;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(2), pdu.HeaderField);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(4), (uint)pdu.Length);
                return h;
        }
        return w.WrittenSpan.ToArray();
    }

    private async Task SendErrorAsync(byte version, ErrorCode code, byte[] offending, string text, CancellationToken ct)
    {
        code = ErrorCodes.ForVersion(code, version);
        await WriteGatedAsync(w => PduWriter.WriteErrorReport(w, version, code, offending, text), ct).ConfigureAwait(false);
        _observer.ErrorReportSent(version, code);
        if (code == ErrorCode.NoDataAvailable)
            _logger.LogDebug("RTR session {Session}: Error Report {Code} ({CodeName}): {Text}", Info, (int)code, code, text);
        else
            _logger.LogWarning("RTR session {Session}: sent Error Report {Code} ({CodeName}): {Text}", Info, (int)code, code, text);
    }

    private async ValueTask<string> HandleMalformedAsync(PduDecodeError error, CancellationToken ct)
    {
        // Never answer an Error Report with one: a malformed report just ends the session.
        // That holds whatever its version: 8210bis §7 exempts Error Reports even from the Error 4 reply.
        bool isErrorReport = error.OffendingPdu.Length >= 2 && error.OffendingPdu[1] == (byte)PduType.ErrorReport;
        if (!isErrorReport)
        {
            byte version = _version ?? (error.Kind == PduErrorKind.UnsupportedVersion || error.OffendingPdu[0] > _options.MaxVersion
                ? _options.MaxVersion
                : error.OffendingPdu[0]);
            // An unknown version is a negotiation matter (Error 4) only before the session has a version;
            // afterwards any other version is Unexpected Protocol Version (8, Corrupt Data in v0).
            var code = error.Kind == PduErrorKind.UnsupportedVersion && _version is not null
                ? ErrorCodes.ForVersion(ErrorCode.UnexpectedProtocolVersion, version)
                : error.ToErrorCode(version);
            await SendErrorAsync(version, code, error.OffendingPdu, error.Message, ct).ConfigureAwait(false);
        }
        return "malformed PDU: " + error.Message;
    }

    private Task WriteGatedAsync(Action<IBufferWriter<byte>> write, CancellationToken ct)
        => WriteGatedAsync(w => { write(w); return true; }, ct);

    /// <summary>Writes under the gate; <paramref name="write"/> may decline (return false) once it holds the gate.</summary>
    private async Task<bool> WriteGatedAsync(Func<IBufferWriter<byte>, bool> write, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!write(_transport.Output)) return false;
            using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
            stall.CancelAfter(_options.WriteStallTimeout);
            await FlushAsync(_transport.Output, stall, ct).ConfigureAwait(false);
            return true;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>
    /// Sends Serial Notify when the store publishes a serial the router does not have, once the session is
    /// established, at most once per <see cref="RtrServerOptions.NotifyInterval"/>.
    /// </summary>
    private async Task NotifyLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var changed = _store.Changed;
            var snapshot = _store.Current;
            if (snapshot is not null && _version is { } version && _routerSerial is { } held
                && held != snapshot.Serial && _notifiedSerial != snapshot.Serial)
            {
                if (_lastNotifyTimestamp != 0)
                {
                    var wait = _options.NotifyInterval - _time.GetElapsedTime(_lastNotifyTimestamp);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, _time, ct).ConfigureAwait(false);
                        continue;
                    }
                }
                var session = snapshot.Sessions.For(version);
                var serial = snapshot.Serial;
                bool sent = await WriteGatedAsync(w =>
                {
                    // A response may have brought the router up to date while we waited for the gate.
                    if (_routerSerial == serial) return false;
                    PduWriter.WriteSerialNotify(w, version, session, serial);
                    return true;
                }, ct).ConfigureAwait(false);
                _notifiedSerial = serial;
                if (sent)
                {
                    _lastNotifyTimestamp = _time.GetTimestamp();
                    _observer.SerialNotifySent(version, System.Diagnostics.Stopwatch.GetElapsedTime(_store.PublishedTimestamp));
                }
            }
            await changed.WaitAsync(ct).ConfigureAwait(false);
        }
    }
}
