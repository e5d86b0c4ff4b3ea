using System.Buffers;
using System.Globalization;
using System.Text;

namespace RtrCache.Payload.Formats;

/// <summary>
/// The text exports other RPKI tools offer, so that a router or script can take our data without RTR:
/// rpki-client/Routinator CSV, an OpenBGPD <c>roa-set</c>/<c>aspa-set</c> include file (bgpd.conf(5)) and a
/// BIRD 2 configuration fragment with static ROA tables — the same shapes rpki-client writes with
/// <c>-c</c>, <c>-o</c> and <c>-B</c> (output-csv.c, output-bgpd.c, output-bird.c), minus the per-entry
/// <c>expires</c>, which the payload set does not keep.
/// </summary>
/// <remarks>
/// Every writer is asynchronous and writes in chunks of about 64 KiB, so an HTTP response streams a global set
/// (~790,000 lines) without building it in memory and without synchronous I/O.
/// </remarks>
public static class RouterConfigFormats
{
    private const int FlushThreshold = 64 * 1024;

    /// <summary>The CSV header line rpki-client and Routinator write.</summary>
    public const string CsvHeader = "ASN,IP Prefix,Max Length,Trust Anchor";

    /// <summary>
    /// CSV: <see cref="CsvHeader"/>, then one line per VRP, e.g. <c>AS64496,192.0.2.0/24,24,ripe</c>, IPv4 first.
    /// <paramref name="trustAnchor"/> fills the last column (the payload keeps no per-VRP trust anchor).
    /// </summary>
    public static async Task WriteCsvAsync(Stream stream, PayloadSet set, string trustAnchor = "", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(set);
        byte[] ta = Encoding.UTF8.GetBytes(CsvField(trustAnchor ?? ""));
        using var b = new TextBuffer();
        b.Ascii(CsvHeader).Newline();
        for (int i = 0; i < set.VrpCount; i++)
        {
            var v = i < set.V4Count ? set.V4[i] : set.V6[i - set.V4Count];
            b.Ascii("AS").Decimal(v.Asn).Byte((byte)',').Prefix(v).Byte((byte)',').Decimal(v.MaxLength).Byte((byte)',').Bytes(ta).Newline();
            if (b.Length > FlushThreshold) await b.FlushAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        await b.FlushAsync(stream, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// OpenBGPD: <c>roa-set { … }</c> with one <c>PREFIX [maxlen N ]source-as ASN</c> line per VRP (maxlen only
    /// when longer than the prefix, as rpki-client does), then, unless <paramref name="includeAspa"/> is false
    /// (rpki-client <c>-A</c>; OpenBGPD before 7.8 has no <c>aspa-set</c>), <c>aspa-set { … }</c> with one
    /// <c>customer-as C provider-as { P1, P2 }</c> line per customer. Lines are tab-indented.
    /// </summary>
    /// <param name="stream">Where to write (UTF-8).</param>
    /// <param name="set">The payload to export.</param>
    /// <param name="includeAspa">False leaves out the aspa-set block.</param>
    /// <param name="comments">Written first as <c># …</c> lines (line breaks inside are replaced by spaces).</param>
    /// <param name="cancellationToken">Stops the export between chunks.</param>
    public static async Task WriteOpenBgpdAsync(Stream stream, PayloadSet set, bool includeAspa = true, IReadOnlyList<string>? comments = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(set);
        using var b = new TextBuffer();
        WriteComments(b, comments);
        b.Ascii("roa-set {").Newline();
        for (int i = 0; i < set.VrpCount; i++)
        {
            var v = i < set.V4Count ? set.V4[i] : set.V6[i - set.V4Count];
            b.Byte((byte)'\t').Prefix(v).Byte((byte)' ');
            if (v.MaxLength > v.PrefixLength) b.Ascii("maxlen ").Decimal(v.MaxLength).Byte((byte)' ');
            b.Ascii("source-as ").Decimal(v.Asn).Newline();
            if (b.Length > FlushThreshold) await b.FlushAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        b.Byte((byte)'}').Newline();
        if (includeAspa)
        {
            b.Newline().Ascii("aspa-set {").Newline();
            for (int i = 0; i < set.AspaCount; i++)
            {
                var aspa = set.Aspas[i];
                b.Ascii("\tcustomer-as ").Decimal(aspa.Customer).Ascii(" provider-as { ");
                for (int p = 0; p < aspa.Providers.Length; p++)
                {
                    if (p > 0) b.Ascii(", ");
                    b.Decimal(aspa.Providers[p]);
                }
                b.Ascii(" }").Newline();
                if (b.Length > FlushThreshold) await b.FlushAsync(stream, cancellationToken).ConfigureAwait(false);
            }
            b.Byte((byte)'}').Newline();
        }
        await b.FlushAsync(stream, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// BIRD 2: <c>define force_roa_table_update = STAMP;</c>, tables <c>roa4 table NAME4; roa6 table NAME6;</c>
    /// and two <c>protocol static</c> blocks filling them with <c>route PREFIX max N as ASN;</c> lines — rpki-client's
    /// <c>-B</c> output. Include it from bird.conf and use <c>roa_check(NAME4, …)</c> in filters.
    /// </summary>
    /// <param name="stream">Where to write (UTF-8).</param>
    /// <param name="set">The payload to export.</param>
    /// <param name="tableName">Table name stem (<c>ROAS</c> gives ROAS4/ROAS6): a BIRD symbol, see <see cref="IsBirdSymbol"/>.</param>
    /// <param name="updateStamp">Value of <c>force_roa_table_update</c>; a changing value makes <c>birdc configure</c>
    /// see a changed configuration. Use something that changes with the data, e.g. its Unix time.</param>
    /// <param name="comments">Written first as <c># …</c> lines.</param>
    /// <param name="cancellationToken">Stops the export between chunks.</param>
    public static async Task WriteBirdAsync(Stream stream, PayloadSet set, string tableName = "ROAS", long updateStamp = 0, IReadOnlyList<string>? comments = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(set);
        if (!IsBirdSymbol(tableName)) throw new ArgumentException($"'{tableName}' is not a BIRD symbol name", nameof(tableName));
        using var b = new TextBuffer();
        WriteComments(b, comments);
        b.Ascii("define force_roa_table_update = ").Ascii(updateStamp.ToString(CultureInfo.InvariantCulture)).Byte((byte)';').Newline().Newline();
        b.Ascii("roa4 table ").Ascii(tableName).Ascii("4;").Newline();
        b.Ascii("roa6 table ").Ascii(tableName).Ascii("6;").Newline().Newline();
        for (int family = 4; family <= 6; family += 2)
        {
            b.Ascii("protocol static {").Newline();
            b.Ascii(family == 4 ? "\troa4 { table " : "\troa6 { table ").Ascii(tableName).Ascii(family == 4 ? "4; };" : "6; };").Newline().Newline();
            int count = family == 4 ? set.V4Count : set.V6Count;
            for (int i = 0; i < count; i++)
            {
                var v = family == 4 ? set.V4[i] : set.V6[i];
                b.Ascii("\troute ").Prefix(v).Ascii(" max ").Decimal(v.MaxLength).Ascii(" as ").Decimal(v.Asn).Byte((byte)';').Newline();
                if (b.Length > FlushThreshold) await b.FlushAsync(stream, cancellationToken).ConfigureAwait(false);
            }
            b.Byte((byte)'}').Newline();
            if (family == 4) b.Newline();
        }
        await b.FlushAsync(stream, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// True for a name BIRD accepts as a table symbol: a letter or underscore, then letters, digits and
    /// underscores, at most 64 characters. Anything else would break the configuration (or inject into it).
    /// </summary>
    public static bool IsBirdSymbol(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 64) return false;
        if (!(char.IsAsciiLetter(name[0]) || name[0] == '_')) return false;
        foreach (char c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_')) return false;
        return true;
    }

    private static void WriteComments(TextBuffer b, IReadOnlyList<string>? comments)
    {
        if (comments is null || comments.Count == 0) return;
        foreach (var line in comments)
        {
            string clean = line.Replace('\r', ' ').Replace('\n', ' ');
            b.Ascii("# ").Utf8(clean).Newline();
        }
        b.Newline();
    }

    /// <summary>RFC 4180 quoting, only when the value needs it.</summary>
    private static string CsvField(string value)
        => value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>A growable UTF-8 line buffer rented from the shared pool; grows for the rare very long line
    /// (an ASPA with thousands of providers) instead of splitting it.</summary>
    private sealed class TextBuffer : IDisposable
    {
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(FlushThreshold + 4096);

        public int Length { get; private set; }

        private Span<byte> Reserve(int bytes)
        {
            if (Length + bytes > _buffer.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, Length + bytes));
                _buffer.AsSpan(0, Length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = bigger;
            }
            return _buffer.AsSpan(Length);
        }

        public TextBuffer Byte(byte value)
        {
            Reserve(1)[0] = value;
            Length++;
            return this;
        }

        public TextBuffer Newline() => Byte((byte)'\n');

        public TextBuffer Bytes(ReadOnlySpan<byte> value)
        {
            value.CopyTo(Reserve(value.Length));
            Length += value.Length;
            return this;
        }

        public TextBuffer Ascii(string value)
        {
            var span = Reserve(value.Length);
            for (int i = 0; i < value.Length; i++) span[i] = (byte)value[i];
            Length += value.Length;
            return this;
        }

        public TextBuffer Utf8(string value)
        {
            Length += Encoding.UTF8.GetBytes(value, Reserve(Encoding.UTF8.GetMaxByteCount(value.Length)));
            return this;
        }

        public TextBuffer Decimal(uint value)
        {
            Length += PrefixText.WriteDecimal(Reserve(10), value);
            return this;
        }

        public TextBuffer Prefix(in Vrp v)
        {
            Length += PrefixText.Format(Reserve(48), v.IsIPv6, v.AddressBits, v.PrefixLength);
            return this;
        }

        public async ValueTask FlushAsync(Stream stream, CancellationToken ct)
        {
            if (Length == 0) return;
            await stream.WriteAsync(_buffer.AsMemory(0, Length), ct).ConfigureAwait(false);
            Length = 0;
        }

        public void Dispose()
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
