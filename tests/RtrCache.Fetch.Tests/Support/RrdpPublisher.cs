using System.Security.Cryptography;
using System.Text;

namespace RtrCache.Fetch.Tests.Support;

/// <summary>
/// A minimal RRDP publication server's content, written into a <see cref="TestHttpsServer"/>: the current object
/// set, a snapshot per serial and a delta per serial step, and the notification listing them. Objects are arbitrary
/// bytes (the fetcher does not look inside).
/// </summary>
public sealed class RrdpPublisher(TestHttpsServer server, string prefix = "/rrdp")
{
    private readonly Dictionary<string, byte[]> _pending = new(StringComparer.Ordinal);
    private readonly HashSet<string> _withdrawn = new(StringComparer.Ordinal);
    private readonly List<(long Serial, string Path, byte[] Hash)> _deltas = [];
    private byte[]? _snapshotOverride;

    public Guid Session { get; private set; } = Guid.NewGuid();
    public long Serial { get; private set; }
    public SortedDictionary<string, byte[]> Objects { get; } = new(StringComparer.Ordinal);

    public string NotificationPath => prefix + "/notification.xml";
    public Uri NotifyUri => server.Uri(NotificationPath);
    public string SnapshotPath(long serial) => $"{prefix}/{Session}/{serial}/snapshot.xml";
    public string DeltaPath(long serial) => $"{prefix}/{Session}/{serial}/delta.xml";

    /// <summary>Publishes (creates or replaces) an object in the next serial.</summary>
    public RrdpPublisher Publish(string uri, byte[] content)
    {
        _withdrawn.Remove(uri);
        _pending[uri] = content;
        return this;
    }

    public RrdpPublisher Withdraw(string uri)
    {
        _pending.Remove(uri);
        _withdrawn.Add(uri);
        return this;
    }

    /// <summary>Makes the pending changes the next serial: a delta (except for serial 1), a new snapshot, a new notification.</summary>
    public void Commit()
    {
        var delta = new StringBuilder();
        foreach (var (uri, content) in _pending)
        {
            string hash = Objects.TryGetValue(uri, out var old) ? $" hash=\"{Hex(old)}\"" : "";
            delta.Append($"  <publish uri=\"{uri}\"{hash}>{Convert.ToBase64String(content)}</publish>\n");
        }
        foreach (var uri in _withdrawn)
            if (Objects.TryGetValue(uri, out var old)) delta.Append($"  <withdraw uri=\"{uri}\" hash=\"{Hex(old)}\"/>\n");
        foreach (var (uri, content) in _pending) Objects[uri] = content;
        foreach (var uri in _withdrawn) Objects.Remove(uri);
        _pending.Clear();
        _withdrawn.Clear();
        _snapshotOverride = null;
        Serial++;
        if (Serial > 1)
        {
            var bytes = Encoding.UTF8.GetBytes(DeltaXml(Session, Serial, delta.ToString()));
            server.Files[DeltaPath(Serial)] = bytes;
            _deltas.Add((Serial, DeltaPath(Serial), SHA256.HashData(bytes)));
        }
        WriteSnapshotAndNotification();
    }

    /// <summary>Starts a new session at serial 1 with the current objects (a server reset).</summary>
    public void ResetSession()
    {
        Session = Guid.NewGuid();
        Serial = 0;
        _deltas.Clear();
        Commit();
    }

    /// <summary>Forgets the listed delta for <paramref name="serial"/> (makes a gap).</summary>
    public void DropDelta(long serial)
    {
        _deltas.RemoveAll(d => d.Serial <= serial);
        WriteSnapshotAndNotification();
    }

    /// <summary>Rewrites the snapshot and the notification (optionally edited by the test).</summary>
    public void WriteSnapshotAndNotification(Func<string, string>? editNotification = null)
    {
        var snapshot = new StringBuilder();
        foreach (var (uri, content) in Objects) snapshot.Append($"  <publish uri=\"{uri}\">{Convert.ToBase64String(content)}</publish>\n");
        var snapshotBytes = _snapshotOverride ?? Encoding.UTF8.GetBytes(SnapshotXml(Session, Serial, snapshot.ToString()));
        server.Files[SnapshotPath(Serial)] = snapshotBytes;
        var n = new StringBuilder();
        n.Append($"<notification xmlns=\"http://www.ripe.net/rpki/rrdp\" version=\"1\" session_id=\"{Session}\" serial=\"{Serial}\">\n");
        n.Append($"  <snapshot uri=\"{server.Uri(SnapshotPath(Serial))}\" hash=\"{Hex(snapshotBytes)}\"/>\n");
        foreach (var d in _deltas.OrderByDescending(d => d.Serial))
            n.Append($"  <delta serial=\"{d.Serial}\" uri=\"{server.Uri(d.Path)}\" hash=\"{Convert.ToHexStringLower(d.Hash)}\"/>\n");
        n.Append("</notification>\n");
        string text = n.ToString();
        if (editNotification is not null) text = editNotification(text);
        server.Files[NotificationPath] = Encoding.UTF8.GetBytes(text);
    }

    /// <summary>Serves <paramref name="content"/> as the current snapshot, with a matching hash in the notification.</summary>
    public void ReplaceSnapshot(byte[] content)
    {
        _snapshotOverride = content;
        WriteSnapshotAndNotification();
    }

    /// <summary>Serves <paramref name="content"/> as the delta for <paramref name="serial"/>, with a matching hash in the notification.</summary>
    public void ReplaceDelta(long serial, byte[] content)
    {
        int i = _deltas.FindIndex(d => d.Serial == serial);
        server.Files[_deltas[i].Path] = content;
        _deltas[i] = (serial, _deltas[i].Path, SHA256.HashData(content));
        WriteSnapshotAndNotification();
    }

    public static string Hex(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public static string SnapshotXml(Guid session, long serial, string body)
        => $"<snapshot xmlns=\"http://www.ripe.net/rpki/rrdp\" version=\"1\" session_id=\"{session}\" serial=\"{serial}\">\n{body}</snapshot>\n";

    public static string DeltaXml(Guid session, long serial, string body)
        => $"<delta xmlns=\"http://www.ripe.net/rpki/rrdp\" version=\"1\" session_id=\"{session}\" serial=\"{serial}\">\n{body}</delta>\n";

    /// <summary>Arbitrary object bytes of a given length (deterministic per seed).</summary>
    public static byte[] Blob(int seed, int length = 200)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
