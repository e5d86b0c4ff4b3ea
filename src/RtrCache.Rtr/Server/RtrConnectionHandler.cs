using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RtrCache.Rtr.Cache;

namespace RtrCache.Rtr.Server;

/// <summary>
/// Kestrel entry point for RTR endpoints: each accepted TCP connection (plain, or TLS when the endpoint adds
/// Kestrel's TLS middleware) passes admission control (allow-list, global and per-address limits) and then
/// runs one <see cref="RtrSession"/> on the connection's duplex pipe.
/// </summary>
public sealed class RtrConnectionHandler : ConnectionHandler
{
    private readonly SnapshotStore _store;
    private readonly RtrServerOptions _options;
    private readonly IRtrObserver _observer;
    private readonly ILogger<RtrConnectionHandler> _logger;
    private readonly TimeProvider _time;
    private readonly RtrSessionRegistry _registry;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly ConcurrentDictionary<IPAddress, int> _perAddress = new();
    private int _total;

    public RtrConnectionHandler(SnapshotStore store, RtrServerOptions options, IRtrObserver observer,
        ILogger<RtrConnectionHandler> logger, TimeProvider time, RtrSessionRegistry registry, IHostApplicationLifetime? lifetime = null)
    {
        _store = store;
        _options = options;
        _observer = observer;
        _logger = logger;
        _time = time;
        _registry = registry;
        _lifetime = lifetime;
    }

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var remote = connection.RemoteEndPoint as IPEndPoint;
        var address = remote?.Address is { } a && a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : remote?.Address;
        if (address is not null && !_options.IsAllowed(address))
        {
            Refuse(connection, address, RefusalReason.NotAllowed);
            return;
        }
        int total = Interlocked.Increment(ref _total);
        int fromAddress = address is null ? 0 : _perAddress.AddOrUpdate(address, 1, (_, n) => n + 1);
        try
        {
            if (_options.MaxConnections > 0 && total > _options.MaxConnections)
            {
                Refuse(connection, address, RefusalReason.TooManyConnections);
                return;
            }
            if (_options.MaxConnectionsPerAddress > 0 && fromAddress > _options.MaxConnectionsPerAddress)
            {
                Refuse(connection, address, RefusalReason.TooManyFromAddress);
                return;
            }
            var info = new RtrSessionInfo(connection.ConnectionId, remote, _time.GetUtcNow());
            var session = new RtrSession(connection.Transport, _store, _options, _observer, _logger, _time, info);
            _registry.Add(info);
            _observer.SessionStarted(info);
            _logger.LogInformation("RTR session {Session} connected", info);
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed,
                _lifetime?.ApplicationStopping ?? CancellationToken.None);
            try
            {
                await session.RunAsync(stopping.Token).ConfigureAwait(false);
            }
            finally
            {
                _registry.Remove(info);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _total);
            if (address is not null)
            {
                if (_perAddress.AddOrUpdate(address, 0, (_, n) => n - 1) <= 0)
                    _perAddress.TryRemove(new KeyValuePair<IPAddress, int>(address, 0));
            }
        }
    }

    private void Refuse(ConnectionContext connection, IPAddress? address, RefusalReason reason)
    {
        _observer.ConnectionRefused(address, reason);
        _logger.LogWarning("RTR connection from {Address} refused: {Reason}", address, reason);
        connection.Abort(new ConnectionAbortedException(reason.ToString()));
    }
}

/// <summary>The sessions currently connected, for the status API and metrics.</summary>
public sealed class RtrSessionRegistry
{
    private readonly ConcurrentDictionary<string, RtrSessionInfo> _sessions = new();

    public void Add(RtrSessionInfo info) => _sessions[info.Id] = info;
    public void Remove(RtrSessionInfo info) => _sessions.TryRemove(info.Id, out _);
    public int Count => _sessions.Count;
    public IReadOnlyCollection<RtrSessionInfo> Sessions => (IReadOnlyCollection<RtrSessionInfo>)_sessions.Values;
}
