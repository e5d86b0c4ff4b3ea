using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml;

namespace RtrCache.Testbed.Publishing;

/// <summary>Options of <see cref="RrdpPublisher"/>.</summary>
public sealed record RrdpPublisherOptions
{
    /// <summary>
    /// Deltas listed in the notification file (newest first). A client that is further behind must take the
    /// snapshot, which is what a test of "too many deltas" or "delta no longer listed" needs.
    /// </summary>
    public int KeepDeltas { get; init; } = 10;

    /// <summary>
    /// Characters per line of the base64 content (0 = one line, as most servers write it). RFC 8182 lets
    /// whitespace appear inside the base64, so a test can check that a client strips it.
    /// </summary>
    public int Base64LineLength { get; init; }

    /// <summary>
    /// The order of the objects in snapshot files. RFC 8182 leaves it open and servers differ, and a client that
    /// starts validating before the snapshot is complete depends on it, so tests and benchmarks can choose.
    /// </summary>
    public SnapshotOrder SnapshotOrder { get; init; } = SnapshotOrder.Sorted;

    /// <summary>
    /// For <see cref="SnapshotOrder.ParentsFirst"/>: directory URIs (ending in '/') in the order they go into the
    /// snapshot, e.g. <see cref="Repository.PublicationPointsTopDown"/>; directories not listed follow by URI.
    /// Without it, shallower directories come first.
    /// </summary>
    public IReadOnlyList<string>? DirectoryOrder { get; init; }
}

/// <summary>How a test publisher orders the objects of a snapshot.</summary>
public enum SnapshotOrder
{
    /// <summary>By URI, ordinally. The generator's publication points are flat (<c>ca4/</c>, <c>ca4-17/</c>, <c>ta/</c>), so the trust anchor's comes last and many children come before their parents.</summary>
    Sorted,

    /// <summary>Grouped by directory, in <see cref="RrdpPublisherOptions.DirectoryOrder"/> (a publication point before those of the CAs it certifies).</summary>
    ParentsFirst,

    /// <summary>Every object at a random place (fixed seed): directories are not grouped at all.</summary>
    Shuffled,
}

/// <summary>A snapshot or delta file as the notification lists it.</summary>
/// <param name="Serial">The serial it belongs to.</param>
/// <param name="Uri">The https URI in the notification file.</param>
/// <param name="UrlPath">The absolute path part of <paramref name="Uri"/> (what <see cref="RrdpTestServer.SetFault"/> takes).</param>
/// <param name="FilePath">Where the bytes are on disk.</param>
/// <param name="Hash">SHA-256 of the bytes, lower-case hex (what the notification lists unless a fault replaced it).</param>
/// <param name="Length">Size in bytes.</param>
public sealed record RrdpFileInfo(long Serial, string Uri, string UrlPath, string FilePath, string Hash, long Length);

/// <summary>What one <see cref="RrdpPublisher.Publish"/> changed.</summary>
/// <param name="Serial">The serial after the call (unchanged when nothing changed).</param>
/// <param name="Added">rsync URIs published without hash (new objects).</param>
/// <param name="Replaced">rsync URIs published with the hash of their previous content.</param>
/// <param name="Withdrawn">rsync URIs withdrawn.</param>
/// <param name="Delta">The delta file written, or null for the first publication (snapshot only) or no change.</param>
public sealed record RrdpPublication(long Serial, IReadOnlyList<string> Added, IReadOnlyList<string> Replaced, IReadOnlyList<string> Withdrawn, RrdpFileInfo? Delta)
{
    /// <summary>True when the tree equalled the published state, so no serial was added.</summary>
    public bool IsUnchanged => Added.Count == 0 && Replaced.Count == 0 && Withdrawn.Count == 0;
}

/// <summary>
/// Publishes rendered repository trees over RRDP (RFC 8182): keeps the published state (rsync URI → SHA-256),
/// writes a snapshot for every serial, a delta for every change, and the Update Notification File listing the
/// snapshot and the last <see cref="RrdpPublisherOptions.KeepDeltas"/> deltas. Files go to
/// <see cref="OutputDirectory"/> as <c>notification.xml</c> and <c>SESSION/SERIAL/{snapshot,delta}.xml</c>,
/// named after their URI below <see cref="BaseUri"/>, so <see cref="RrdpTestServer.MapDirectory"/> can serve them.
/// </summary>
/// <remarks>
/// <para>Files, not memory: the global-shaped tree is 2.2 GB, its snapshot more; keeping hashes only (and
/// streaming snapshots to disk while hashing them) lets the same class serve the benchmark. Snapshot and delta
/// files are immutable once listed (a new serial gets a new name); the notification is replaced by rename, so
/// a concurrent reader sees the old or the new file, never half of one. The snapshot of the previous serial is
/// kept (a client that read the old notification may still ask for it), older ones are deleted.</para>
/// <para>The fault methods (<see cref="NewSession"/>, <see cref="DropDelta"/>, <see cref="CorruptSnapshotHash"/>,
/// <see cref="CorruptDeltaHash"/>, <see cref="PublishEmptyDelta"/>, <see cref="ListUrisUnder"/>,
/// <see cref="ReplaceSnapshot"/>, <see cref="ReplaceDelta"/>) produce the server-side misbehaviours a client must
/// survive; transport faults are <see cref="RrdpTestServer"/>'s. <see cref="SnapshotXml"/> and
/// <see cref="DeltaXml"/> wrap hand-written elements for documents no publication would produce.</para>
/// <para>One writer: calls must not overlap (the server only reads files).</para>
/// </remarks>
public sealed class RrdpPublisher
{
    /// <summary>The RRDP XML namespace.</summary>
    public const string Namespace = "http://www.ripe.net/rpki/rrdp";

    /// <summary>File name of the notification in <see cref="OutputDirectory"/> and below <see cref="BaseUri"/>.</summary>
    public const string NotificationFileName = "notification.xml";

    private readonly RrdpPublisherOptions _options;
    private Dictionary<string, byte[]> _state = new(StringComparer.Ordinal);
    private readonly List<RrdpFileInfo> _deltas = [];
    private readonly List<RrdpFileInfo> _snapshots = [];
    private readonly HashSet<long> _droppedDeltas = [];
    private readonly Dictionary<long, string> _deltaHashOverrides = [];
    private string? _snapshotHashOverride;
    private string? _listedBase;

    /// <summary>Creates a publisher writing into <paramref name="outputDirectory"/> (created, or emptied when it holds an earlier publisher's files).</summary>
    /// <param name="outputDirectory">Where the RRDP files are written.</param>
    /// <param name="baseUri">https URI the directory is served under, ending with '/', e.g. <c>https://127.0.0.1:PORT/rrdp/</c>.</param>
    /// <param name="options">Delta history length and formatting.</param>
    public RrdpPublisher(string outputDirectory, string baseUri, RrdpPublisherOptions? options = null)
    {
        if (!baseUri.StartsWith("https://", StringComparison.Ordinal) || !baseUri.EndsWith('/'))
            throw new ArgumentException("base URI must be https and end with '/'", nameof(baseUri));
        _options = options ?? new RrdpPublisherOptions();
        if (_options.KeepDeltas < 0) throw new ArgumentOutOfRangeException(nameof(options), "KeepDeltas must not be negative");
        OutputDirectory = Path.GetFullPath(outputDirectory);
        BaseUri = baseUri;
        if (Directory.Exists(OutputDirectory))
        {
            // only ever wipe an earlier publisher's output, never a directory given by mistake
            if (Directory.EnumerateFileSystemEntries(OutputDirectory).Any() && !File.Exists(Path.Combine(OutputDirectory, NotificationFileName)))
                throw new IOException($"{OutputDirectory} exists and holds no RRDP output; refusing to empty it");
            Directory.Delete(OutputDirectory, true);
        }
        Directory.CreateDirectory(OutputDirectory);
        SessionId = Guid.NewGuid();
    }

    /// <summary>Directory holding the RRDP files.</summary>
    public string OutputDirectory { get; }

    /// <summary>https URI of <see cref="OutputDirectory"/>, ending with '/'.</summary>
    public string BaseUri { get; }

    /// <summary>https URI of the Update Notification File: what the certificates' rpkiNotify must name.</summary>
    public string NotificationUri => BaseUri + NotificationFileName;

    /// <summary>Path part of <see cref="NotificationUri"/>, for <see cref="RrdpTestServer.SetFault"/>.</summary>
    public string NotificationUrlPath => new Uri(NotificationUri).AbsolutePath;

    /// <summary>The notification file on disk.</summary>
    public string NotificationPath => Path.Combine(OutputDirectory, NotificationFileName);

    /// <summary>Current session (a random UUID v4, as RFC 8182 asks; lower-case with dashes in the files).</summary>
    public Guid SessionId { get; private set; }

    /// <summary>Current serial; 0 before the first <see cref="Publish"/>.</summary>
    public long Serial { get; private set; }

    /// <summary>The snapshot of the current serial.</summary>
    public RrdpFileInfo? Snapshot => _snapshots.Count > 0 ? _snapshots[^1] : null;

    /// <summary>Every delta of this session still on disk, oldest first (listed or not).</summary>
    public IReadOnlyList<RrdpFileInfo> AllDeltas => _deltas;

    /// <summary>The deltas the notification lists, newest first.</summary>
    public IReadOnlyList<RrdpFileInfo> ListedDeltas
        => _deltas.Where(d => !_droppedDeltas.Contains(d.Serial)).OrderByDescending(d => d.Serial).Take(_options.KeepDeltas).ToList();

    /// <summary>The published state: rsync URI → SHA-256 (lower-case hex) of its content.</summary>
    public IReadOnlyDictionary<string, string> Published
        => _state.ToDictionary(kv => kv.Key, kv => Hex(kv.Value), StringComparer.Ordinal);

    /// <summary>
    /// Publishes the tree at <paramref name="treeRoot"/> (<c>HOST/MODULE/path</c> below it, every file as
    /// <c>rsync://HOST/MODULE/path</c>). The first call writes serial 1 (snapshot only); later calls write a
    /// delta against the previous state (publish without hash for a new URI, with the old content's hash for a
    /// changed one, withdraw with hash for a removed one), a snapshot and the notification, with serial + 1.
    /// A tree equal to the published state changes nothing (real servers publish no empty deltas).
    /// </summary>
    public RrdpPublication Publish(string treeRoot)
    {
        var files = ReadTree(treeRoot);
        var newState = HashTree(files);
        if (Serial == 0)
        {
            _state = newState;
            Serial = 1;
            WriteSnapshot(files);
            WriteNotification();
            return new RrdpPublication(Serial, [.. newState.Keys.Order(StringComparer.Ordinal)], [], [], null);
        }

        var added = new List<string>();
        var replaced = new List<string>();
        var withdrawn = new List<string>();
        foreach (var (uri, hash) in newState)
        {
            if (!_state.TryGetValue(uri, out var old)) added.Add(uri);
            else if (!old.AsSpan().SequenceEqual(hash)) replaced.Add(uri);
        }
        foreach (var uri in _state.Keys)
            if (!newState.ContainsKey(uri)) withdrawn.Add(uri);
        added.Sort(StringComparer.Ordinal);
        replaced.Sort(StringComparer.Ordinal);
        withdrawn.Sort(StringComparer.Ordinal);
        if (added.Count + replaced.Count + withdrawn.Count == 0)
            return new RrdpPublication(Serial, [], [], [], null);

        long serial = Serial + 1;
        var delta = WriteDelta(serial, w =>
        {
            foreach (var uri in added) WritePublish(w, uri, null, File.ReadAllBytes(files[uri]));
            foreach (var uri in replaced) WritePublish(w, uri, _state[uri], File.ReadAllBytes(files[uri]));
            foreach (var uri in withdrawn)
            {
                w.WriteStartElement("withdraw", Namespace);
                w.WriteAttributeString("uri", uri);
                w.WriteAttributeString("hash", Hex(_state[uri]));
                w.WriteEndElement();
            }
        });
        _state = newState;
        Serial = serial;
        WriteSnapshot(files);
        WriteNotification();
        return new RrdpPublication(Serial, added, replaced, withdrawn, delta);
    }

    /// <summary>
    /// Session reset: a new session id, serial 1, no deltas, a snapshot of the current state (the tree last
    /// given to <see cref="Publish"/>, re-read from <paramref name="treeRoot"/>). A client must drop its session
    /// state and load the snapshot.
    /// </summary>
    public void NewSession(string treeRoot)
    {
        var files = ReadTree(treeRoot);
        _state = HashTree(files);
        SessionId = Guid.NewGuid();
        Serial = 1;
        _deltas.Clear();
        _droppedDeltas.Clear();
        _deltaHashOverrides.Clear();
        _snapshotHashOverride = null;
        WriteSnapshot(files);
        WriteNotification();
    }

    /// <summary>Leaves delta <paramref name="serial"/> out of the notification (its file stays): a gap a client must answer with the snapshot.</summary>
    public void DropDelta(long serial)
    {
        if (!_deltas.Any(d => d.Serial == serial)) throw new ArgumentException($"no delta {serial} in this session", nameof(serial));
        _droppedDeltas.Add(serial);
        WriteNotification();
    }

    /// <summary>Lists a wrong hash for the current snapshot (the file is right): a client must refuse it.</summary>
    public void CorruptSnapshotHash()
    {
        _snapshotHashOverride = FlipHex(Snapshot?.Hash ?? throw new InvalidOperationException("nothing published"));
        WriteNotification();
    }

    /// <summary>
    /// Lists a wrong hash for delta <paramref name="serial"/>. For a delta the client has not applied yet that
    /// is a hash mismatch on download; for one it applied earlier it is the history mutation RFC 9697 asks
    /// clients to detect (and answer with the snapshot).
    /// </summary>
    public void CorruptDeltaHash(long serial)
    {
        var d = _deltas.FirstOrDefault(x => x.Serial == serial) ?? throw new ArgumentException($"no delta {serial} in this session", nameof(serial));
        _deltaHashOverrides[serial] = FlipHex(d.Hash);
        WriteNotification();
    }

    /// <summary>Undoes <see cref="DropDelta"/>, <see cref="CorruptSnapshotHash"/>, <see cref="CorruptDeltaHash"/> and <see cref="ListUrisUnder"/>.</summary>
    public void ClearFaults()
    {
        _droppedDeltas.Clear();
        _deltaHashOverrides.Clear();
        _snapshotHashOverride = null;
        _listedBase = null;
        WriteNotification();
    }

    /// <summary>
    /// Adds serial + 1 as a delta without elements (invalid per RFC 8182; rpki-client: "empty delta"). The
    /// snapshot for the new serial is written as usual, so a client may recover from it.
    /// </summary>
    public RrdpFileInfo PublishEmptyDelta(string treeRoot)
    {
        long serial = Serial + 1;
        var delta = WriteDelta(serial, _ => { });
        Serial = serial;
        WriteSnapshot(ReadTree(treeRoot));
        WriteNotification();
        return delta;
    }

    /// <summary>
    /// Lists snapshot and delta URIs under <paramref name="otherBaseUri"/> (e.g. another port) instead of
    /// <see cref="BaseUri"/>: the cross-origin notification RFC 9674 tells clients to reject. Null restores.
    /// </summary>
    public void ListUrisUnder(string? otherBaseUri)
    {
        if (otherBaseUri is not null && !otherBaseUri.EndsWith('/')) throw new ArgumentException("must end with '/'", nameof(otherBaseUri));
        _listedBase = otherBaseUri;
        WriteNotification();
    }

    /// <summary>
    /// Replaces the current snapshot's bytes with <paramref name="content"/> and lists their SHA-256, so the file
    /// passes the client's hash check and the defect must be found in the content itself (e.g. a snapshot cut in
    /// half: malformed XML, not a hash mismatch). Drops a <see cref="CorruptSnapshotHash"/>; not undone by
    /// <see cref="ClearFaults"/> (the old bytes are gone).
    /// </summary>
    public RrdpFileInfo ReplaceSnapshot(byte[] content)
    {
        if (_snapshots.Count == 0) throw new InvalidOperationException("nothing published");
        _snapshots[^1] = ReplaceFile(_snapshots[^1], content);
        _snapshotHashOverride = null;
        WriteNotification();
        return _snapshots[^1];
    }

    /// <summary>
    /// Replaces delta <paramref name="serial"/>'s bytes with <paramref name="content"/> and lists their SHA-256:
    /// for a delta the client has not applied, a file that downloads fine but whose elements are wrong (a withdraw
    /// of content the client does not have); for one it applied earlier, new bytes under an old serial, the history
    /// rewrite RFC 9697 asks clients to detect. Drops a <see cref="CorruptDeltaHash"/> of that serial; not undone by
    /// <see cref="ClearFaults"/>.
    /// </summary>
    public RrdpFileInfo ReplaceDelta(long serial, byte[] content)
    {
        int i = _deltas.FindIndex(d => d.Serial == serial);
        if (i < 0) throw new ArgumentException($"no delta {serial} in this session", nameof(serial));
        _deltas[i] = ReplaceFile(_deltas[i], content);
        _deltaHashOverrides.Remove(serial);
        WriteNotification();
        return _deltas[i];
    }

    /// <summary>Writes new bytes over a listed file by rename (a reader sees the old or the new file) and describes them.</summary>
    private static RrdpFileInfo ReplaceFile(RrdpFileInfo file, byte[] content)
    {
        var tmp = file.FilePath + ".tmp";
        File.WriteAllBytes(tmp, content);
        File.Move(tmp, file.FilePath, overwrite: true);
        return file with { Hash = HashHex(content), Length = content.Length };
    }

    // ------------------------------------------------------------------ hand-written documents

    /// <summary>
    /// A snapshot document around <paramref name="body"/> (elements as text, inserted unchanged), for tests that need
    /// bytes <see cref="Publish"/> never writes: parser tests, hostile URIs, wrong attributes.
    /// </summary>
    public static string SnapshotXml(Guid sessionId, long serial, string body) => Document("snapshot", sessionId, serial, body);

    /// <summary>A delta document around <paramref name="body"/> (see <see cref="SnapshotXml"/>), e.g. for <see cref="ReplaceDelta"/>.</summary>
    public static string DeltaXml(Guid sessionId, long serial, string body) => Document("delta", sessionId, serial, body);

    private static string Document(string root, Guid sessionId, long serial, string body)
        => $"<{root} xmlns=\"{Namespace}\" version=\"1\" session_id=\"{sessionId:D}\" serial=\"{serial.ToString(CultureInfo.InvariantCulture)}\">\n{body}</{root}>\n";

    /// <summary>SHA-256 of <paramref name="content"/> in lower-case hex: what a publish or withdraw names as <c>hash</c> and the notification lists.</summary>
    public static string HashHex(ReadOnlySpan<byte> content) => Hex(SHA256.HashData(content));

    // ------------------------------------------------------------------ writing

    /// <summary>
    /// Lists every file of the tree as rsync URI → path. Contents are read when needed (hash, then snapshot),
    /// never all at once: the global shape is 2.2 GB.
    /// </summary>
    private static Dictionary<string, string> ReadTree(string treeRoot)
    {
        treeRoot = Path.GetFullPath(treeRoot);
        if (!Directory.Exists(treeRoot)) throw new DirectoryNotFoundException(treeRoot);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(treeRoot, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var rel = Path.GetRelativePath(treeRoot, file).Replace(Path.DirectorySeparatorChar, '/');
            if (rel.Count(c => c == '/') < 2) continue; // not below HOST/MODULE/
            result["rsync://" + rel] = file;
        }
        return result;
    }

    private static Dictionary<string, byte[]> HashTree(Dictionary<string, string> files)
    {
        var hashes = new System.Collections.Concurrent.ConcurrentDictionary<string, byte[]>(StringComparer.Ordinal);
        Parallel.ForEach(files, kv => hashes[kv.Key] = SHA256.HashData(File.ReadAllBytes(kv.Value)));
        return new Dictionary<string, byte[]>(hashes, StringComparer.Ordinal);
    }

    private static XmlWriterSettings WriterSettings() => new()
    {
        Encoding = new UTF8Encoding(false),
        Indent = true,
        IndentChars = "  ",
        NewLineChars = "\n",
        CloseOutput = false,
    };

    private void WritePublish(XmlWriter w, string uri, byte[]? oldHash, byte[] content)
    {
        w.WriteStartElement("publish", Namespace);
        w.WriteAttributeString("uri", uri);
        if (oldHash is not null) w.WriteAttributeString("hash", Hex(oldHash));
        var b64 = Convert.ToBase64String(content);
        int line = _options.Base64LineLength;
        if (line <= 0) w.WriteString(b64);
        else
        {
            var sb = new StringBuilder(b64.Length + b64.Length / line + 2).Append('\n');
            for (int i = 0; i < b64.Length; i += line) sb.Append(b64, i, Math.Min(line, b64.Length - i)).Append('\n');
            w.WriteString(sb.ToString());
        }
        w.WriteEndElement();
    }

    private string RelativeDir(long serial) => $"{SessionText}/{serial.ToString(CultureInfo.InvariantCulture)}";

    private string SessionText => SessionId.ToString("D");

    /// <summary>Writes one file through a SHA-256 while writing (no second read of a multi-GB snapshot).</summary>
    private RrdpFileInfo WriteFile(long serial, string rel, string rootElement, Action<XmlWriter> body)
    {
        var path = Path.Combine(OutputDirectory, rel.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = path + ".tmp";
        byte[] hash;
        long length;
        using (var file = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        using (var hashing = new HashingStream(file))
        {
            using (var w = XmlWriter.Create(hashing, WriterSettings()))
            {
                w.WriteStartDocument();
                w.WriteStartElement(rootElement, Namespace);
                w.WriteAttributeString("xmlns", Namespace); // first, as RRDP servers write it
                w.WriteAttributeString("version", "1");
                w.WriteAttributeString("session_id", SessionText);
                w.WriteAttributeString("serial", serial.ToString(CultureInfo.InvariantCulture));
                body(w);
                w.WriteEndElement();
                w.WriteEndDocument();
            }
            hashing.WriteByte((byte)'\n');
            hash = hashing.Finish();
            length = hashing.Length;
            file.Flush(true);
        }
        File.Move(tmp, path, overwrite: true);
        var uri = BaseUri + rel;
        return new RrdpFileInfo(serial, uri, new Uri(uri).AbsolutePath, path, Hex(hash), length);
    }

    private RrdpFileInfo WriteDelta(long serial, Action<XmlWriter> body)
    {
        var info = WriteFile(serial, RelativeDir(serial) + "/delta.xml", "delta", body);
        _deltas.Add(info);
        return info;
    }

    private IEnumerable<string> InSnapshotOrder(IEnumerable<string> uris)
    {
        var sorted = uris.Order(StringComparer.Ordinal).ToList();
        switch (_options.SnapshotOrder)
        {
            case SnapshotOrder.ParentsFirst:
                var rank = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (var directory in _options.DirectoryOrder ?? []) rank.TryAdd(directory, rank.Count);
                return sorted
                    .GroupBy(u => u[..(u.LastIndexOf('/') + 1)], StringComparer.Ordinal)
                    .OrderBy(g => rank.TryGetValue(g.Key, out int r) ? r : int.MaxValue)
                    .ThenBy(g => g.Key.Count(c => c == '/')).ThenBy(g => g.Key, StringComparer.Ordinal)
                    .SelectMany(g => g);
            case SnapshotOrder.Shuffled:
                var random = new Random(8182);
                var shuffled = sorted.ToArray();
                random.Shuffle(shuffled);
                return shuffled;
            default:
                return sorted;
        }
    }

    private void WriteSnapshot(Dictionary<string, string> files)
    {
        var info = WriteFile(Serial, RelativeDir(Serial) + "/snapshot.xml", "snapshot", w =>
        {
            foreach (var uri in InSnapshotOrder(files.Keys)) WritePublish(w, uri, null, File.ReadAllBytes(files[uri]));
        });
        _snapshots.Add(info);
        // keep the previous snapshot for clients that read the previous notification; delete older ones
        while (_snapshots.Count > 2)
        {
            TryDelete(_snapshots[0].FilePath);
            _snapshots.RemoveAt(0);
        }
    }

    private void WriteNotification()
    {
        var snapshot = Snapshot ?? throw new InvalidOperationException("nothing published");
        string Listed(RrdpFileInfo f) => _listedBase is null ? f.Uri : _listedBase + f.Uri[BaseUri.Length..];
        var sb = new StringBuilder();
        using (var w = XmlWriter.Create(new StringWriter(sb), new XmlWriterSettings { Indent = true, IndentChars = "  ", NewLineChars = "\n", OmitXmlDeclaration = true }))
        {
            w.WriteStartElement("notification", Namespace);
            w.WriteAttributeString("xmlns", Namespace);
            w.WriteAttributeString("version", "1");
            w.WriteAttributeString("session_id", SessionText);
            w.WriteAttributeString("serial", Serial.ToString(CultureInfo.InvariantCulture));
            w.WriteStartElement("snapshot", Namespace);
            w.WriteAttributeString("uri", Listed(snapshot));
            w.WriteAttributeString("hash", _snapshotHashOverride ?? snapshot.Hash);
            w.WriteEndElement();
            foreach (var d in ListedDeltas)
            {
                w.WriteStartElement("delta", Namespace);
                w.WriteAttributeString("serial", d.Serial.ToString(CultureInfo.InvariantCulture));
                w.WriteAttributeString("uri", Listed(d));
                w.WriteAttributeString("hash", _deltaHashOverrides.GetValueOrDefault(d.Serial) ?? d.Hash);
                w.WriteEndElement();
            }
            w.WriteEndElement();
        }
        var text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + sb + "\n";
        var tmp = NotificationPath + ".tmp";
        File.WriteAllBytes(tmp, Encoding.UTF8.GetBytes(text));
        File.Move(tmp, NotificationPath, overwrite: true);
    }

    /// <summary>Lower-case hex, the form RFC 8182's examples use.</summary>
    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    /// <summary>A different hash of the same shape: the first digit changed.</summary>
    private static string FlipHex(string hex) => (hex[0] == '0' ? '1' : '0') + hex[1..];

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>A write-only pass-through stream that hashes and counts what goes through it.</summary>
    private sealed class HashingStream(Stream inner) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _length;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _hash.AppendData(buffer);
            _length += buffer.Length;
            inner.Write(buffer);
        }

        public byte[] Finish() => _hash.GetHashAndReset();

        protected override void Dispose(bool disposing)
        {
            if (disposing) _hash.Dispose();
            base.Dispose(disposing);
        }
    }
}
