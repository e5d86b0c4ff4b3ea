using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace RtrCache.Payload.Formats;

/// <summary>
/// Reads and writes the JSON validated-payload file that rpki-client writes (<c>rpki-client -j</c>, file
/// <c>json</c>) and StayRTR / GoRTR read. It is the cache's main input: a validator run drops a new file, the
/// cache turns it into a <see cref="PayloadSet"/>. The writer produces the same shape so that other RTR caches,
/// and this reader, can consume our view of the data.
/// </summary>
/// <remarks>
/// <para>Shape (rpki-client <c>output-json.c</c> 1.57, 2025; StayRTR <c>prefixfile/prefixfile.go</c>):</para>
/// <code>
/// { "metadata": { "buildmachine": "...", "buildtime": "2026-11-25T10:00:00Z", "generated": 1764064800, ... },
///   "roas": [ { "asn": 64496, "prefix": "192.0.2.0/24", "maxLength": 24, "ta": "ripe", "expires": 1764151200 } ],
///   "bgpsec_keys": [ { "asn": 64496, "ski": "40 HEX DIGITS", "pubkey": "base64 DER SPKI", "ta": "ripe", "expires": 1764151200 } ],
///   "aspas": [ { "customer_asid": 64496, "expires": 1764151200, "providers": [ 64497, 64498 ] } ] }
/// </code>
/// <para>Reader rules: <c>roas</c> is required, <c>aspas</c> and <c>bgpsec_keys</c> optional, other top-level
/// members ignored, except <c>provider_authorizations</c> (the per-address-family ASPA layout of rpki-client
/// 8.0–8.3), which is rejected rather than silently dropped. <c>asn</c> may be a number or a string
/// <c>"AS64496"</c> (Routinator, old rpki-client). <c>ski</c> is hex as rpki-client writes it; base64 of the
/// 20 octets is accepted too. <c>pubkey</c> is base64 (either alphabet). <c>expires</c> is optional; an entry
/// whose <c>expires</c> is before the given time is dropped and counted (StayRTR does the same). Any invalid
/// entry rejects the whole file, even an expired one.</para>
/// </remarks>
public static class RpkiClientJson
{
    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 64,
    };

    // ---------------------------------------------------------------- reading

    /// <summary>Parses a whole file held in memory (UTF-8, an optional BOM is skipped).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static RpkiClientJsonResult Parse(ReadOnlySpan<byte> utf8, DateTimeOffset now)
    {
        if (utf8.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) utf8 = utf8[3..];
        if (Utf8Text.FindError(utf8) is string encodingError) return RpkiClientJsonResult.Failed(encodingError);
        var state = new ParseState(now.ToUnixTimeSeconds());
        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        try
        {
            ParseRoot(ref reader, state);
        }
        catch (JsonException ex)
        {
            return RpkiClientJsonResult.Failed(SyntaxError(ex));
        }
        catch (EntryException ex)
        {
            return RpkiClientJsonResult.Failed(ex.Message);
        }
        return state.ToResult();
    }

    /// <summary>Reads <paramref name="stream"/> to its end, then parses it.</summary>
    public static RpkiClientJsonResult Parse(Stream stream, DateTimeOffset now)
    {
        var buffer = new PooledBuffer(stream.CanSeek ? SafeRemaining(stream) : 0);
        try
        {
            while (true)
            {
                int n = stream.Read(buffer.FreeSpace());
                if (n == 0) break;
                buffer.Advance(n);
            }
            return Parse(buffer.Written, now);
        }
        finally
        {
            buffer.Dispose();
        }
    }

    /// <summary>Reads <paramref name="stream"/> to its end asynchronously, then parses it.</summary>
    public static async Task<RpkiClientJsonResult> ParseAsync(Stream stream, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var buffer = new PooledBuffer(stream.CanSeek ? SafeRemaining(stream) : 0);
        try
        {
            while (true)
            {
                int n = await stream.ReadAsync(buffer.FreeMemory(), cancellationToken).ConfigureAwait(false);
                if (n == 0) break;
                buffer.Advance(n);
            }
            return Parse(buffer.Written, now);
        }
        finally
        {
            buffer.Dispose();
        }
    }

    private static int SafeRemaining(Stream s)
    {
        try
        {
            long remaining = s.Length - s.Position;
            return remaining is > 0 and < int.MaxValue - 1 ? (int)remaining + 1 : 0;
        }
        catch (NotSupportedException)
        {
            return 0;
        }
    }

    private static string SyntaxError(JsonException ex)
    {
        string message = ex.Message;
        int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0) message = message[..cut];
        message = message.Replace(" Change the reader options.", "", StringComparison.Ordinal);
        return ex.LineNumber is long line
            ? $"JSON syntax error at line {line + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}: {message}"
            : $"JSON syntax error: {message}";
    }

    /// <summary>An invalid entry; caught at the top and turned into the result's error.</summary>
    private sealed class EntryException(string message) : Exception(message);

    private sealed class ParseState(long nowUnix)
    {
        public readonly long NowUnix = nowUnix;
        public readonly PayloadSetBuilder Builder = new();
        public readonly List<uint> Providers = [];
        public int Roas, Aspas, Keys, RoasExpired, AspasExpired, KeysExpired;
        public long NextExpiry = long.MaxValue;

        /// <summary>True when an entry with <paramref name="expires"/> is to be dropped; otherwise records when it will expire.</summary>
        public bool Expired(long? expires)
        {
            if (expires is not long e) return false;
            if (e < NowUnix) return true;
            if (e < NextExpiry) NextExpiry = e;
            return false;
        }
        public string? BuildMachine;
        public DateTimeOffset? BuildTime, Generated;

        public RpkiClientJsonResult ToResult() => new(Builder.Build(), null)
        {
            RoasRead = Roas,
            AspasRead = Aspas,
            RouterKeysRead = Keys,
            RoasExpired = RoasExpired,
            AspasExpired = AspasExpired,
            RouterKeysExpired = KeysExpired,
            Metadata = new RpkiClientJsonMetadata { BuildMachine = BuildMachine, BuildTime = BuildTime, Generated = Generated },
            NextExpiry = NextExpiry == long.MaxValue ? null : DateTimeOffset.FromUnixTimeSeconds(NextExpiry),
        };
    }

    private static EntryException Entry(string array, int index, string message)
        => new(string.Create(CultureInfo.InvariantCulture, $"{array}[{index}]: {message}"));

    private static void ParseRoot(ref Utf8JsonReader r, ParseState s)
    {
        if (!r.Read()) throw new EntryException("empty input: expected a JSON object");
        if (r.TokenType != JsonTokenType.StartObject)
            throw new EntryException($"top level: expected a JSON object, found {Describe(ref r)}");
        bool meta = false, roas = false, aspas = false, keys = false;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("roas"u8))
            {
                Once(ref roas, "roas");
                r.Read();
                s.Roas = ParseArray(ref r, s, "roas", ParseRoa);
            }
            else if (r.ValueTextEquals("aspas"u8))
            {
                Once(ref aspas, "aspas");
                r.Read();
                s.Aspas = ParseArray(ref r, s, "aspas", ParseAspa);
            }
            else if (r.ValueTextEquals("bgpsec_keys"u8))
            {
                Once(ref keys, "bgpsec_keys");
                r.Read();
                s.Keys = ParseArray(ref r, s, "bgpsec_keys", ParseKey);
            }
            else if (r.ValueTextEquals("metadata"u8))
            {
                Once(ref meta, "metadata");
                r.Read();
                ParseMetadata(ref r, s);
            }
            else if (r.ValueTextEquals("provider_authorizations"u8))
            {
                throw new EntryException("provider_authorizations: this per-address-family ASPA layout (rpki-client 8.0 to 8.3, "
                    + "old ASPA profile drafts) is not supported; expected an \"aspas\" array");
            }
            else
            {
                r.Skip();
            }
        }
        // The root object is complete; a further Read throws on anything but trailing whitespace.
        r.Read();
        if (!roas) throw new EntryException("missing \"roas\" array");
    }

    private static void Once(ref bool seen, string member)
    {
        if (seen) throw new EntryException($"duplicate top-level member \"{member}\"");
        seen = true;
    }

    private static void Seen(ref int seen, int bit, string array, int index, string member)
    {
        if ((seen & bit) != 0) throw Entry(array, index, $"duplicate member \"{member}\"");
        seen |= bit;
    }

    private static void ExpectArray(ref Utf8JsonReader r, string member)
    {
        if (r.TokenType != JsonTokenType.StartArray)
            throw new EntryException($"{member}: expected an array, found {Describe(ref r)}");
    }

    private static void ParseMetadata(ref Utf8JsonReader r, ParseState s)
    {
        if (r.TokenType != JsonTokenType.StartObject)
            throw new EntryException($"metadata: expected an object, found {Describe(ref r)}");
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("buildmachine"u8))
            {
                r.Read();
                if (r.TokenType == JsonTokenType.String) s.BuildMachine = r.GetString();
                else r.Skip();
            }
            else if (r.ValueTextEquals("buildtime"u8))
            {
                r.Read();
                if (r.TokenType == JsonTokenType.String
                    && DateTimeOffset.TryParse(r.GetString(), CultureInfo.InvariantCulture,
                        DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
                    s.BuildTime = t;
                else r.Skip();
            }
            else if (r.ValueTextEquals("generated"u8))
            {
                r.Read();
                if (r.TokenType == JsonTokenType.Number && r.TryGetInt64(out long g)
                    && g >= DateTimeOffset.MinValue.ToUnixTimeSeconds() && g <= DateTimeOffset.MaxValue.ToUnixTimeSeconds())
                    s.Generated = DateTimeOffset.FromUnixTimeSeconds(g);
                else r.Skip();
            }
            else
            {
                r.Skip();
            }
        }
    }

    private delegate void EntryParser(ref Utf8JsonReader r, ParseState s, int index);

    /// <summary>Reads one top-level array of objects, handing each to <paramref name="parseEntry"/>; returns the count.</summary>
    private static int ParseArray(ref Utf8JsonReader r, ParseState s, string name, EntryParser parseEntry)
    {
        ExpectArray(ref r, name);
        int index = 0;
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (r.TokenType != JsonTokenType.StartObject) throw Entry(name, index, $"expected an object, found {Describe(ref r)}");
            parseEntry(ref r, s, index);
            index++;
        }
        return index;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per file over ~790,000 entries: skip tier-0 code
    private static void ParseRoa(ref Utf8JsonReader r, ParseState s, int index)
    {
        const string A = "roas";
        uint asn = 0;
        IpPrefix prefix = default;
        int maxLength = 0;
        long? expires = null;
        int seen = 0;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("asn"u8))
            {
                Seen(ref seen, 1, A, index, "asn");
                r.Read();
                asn = ReadAsn(ref r, A, index, "asn");
            }
            else if (r.ValueTextEquals("prefix"u8))
            {
                Seen(ref seen, 2, A, index, "prefix");
                r.Read();
                prefix = ReadPrefix(ref r, A, index);
            }
            else if (r.ValueTextEquals("maxLength"u8))
            {
                Seen(ref seen, 4, A, index, "maxLength");
                r.Read();
                if (r.TokenType != JsonTokenType.Number || !r.TryGetInt32(out maxLength))
                    throw Entry(A, index, $"maxLength {Raw(ref r)} is not an integer");
            }
            else if (r.ValueTextEquals("expires"u8))
            {
                Seen(ref seen, 8, A, index, "expires");
                r.Read();
                expires = ReadExpires(ref r, A, index);
            }
            else
            {
                r.Skip();
            }
        }
        if ((seen & 1) == 0) throw Entry(A, index, "missing \"asn\"");
        if ((seen & 2) == 0) throw Entry(A, index, "missing \"prefix\"");
        if ((seen & 4) == 0) throw Entry(A, index, "missing \"maxLength\"");
        int bits = prefix.FamilyBits;
        if (maxLength < prefix.Length || maxLength > bits)
            throw Entry(A, index, $"max length {maxLength} outside {prefix.Length}..{bits} for {PrefixText.ToString(prefix)}");
        Vrp vrp;
        string? error;
        bool ok = prefix.IsIPv6
            ? Vrp.TryCreateV6(prefix.AddressBits, prefix.Length, maxLength, asn, out vrp, out error)
            : Vrp.TryCreateV4((uint)prefix.AddressBits, prefix.Length, maxLength, asn, out vrp, out error);
        if (!ok) throw Entry(A, index, error!);
        if (s.Expired(expires)) s.RoasExpired++;
        else s.Builder.Add(vrp);
    }

    private static void ParseAspa(ref Utf8JsonReader r, ParseState s, int index)
    {
        const string A = "aspas";
        uint customer = 0;
        long? expires = null;
        int seen = 0;
        var providers = s.Providers;
        providers.Clear();
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("customer_asid"u8))
            {
                Seen(ref seen, 1, A, index, "customer_asid");
                r.Read();
                customer = ReadAsn(ref r, A, index, "customer_asid");
            }
            else if (r.ValueTextEquals("providers"u8))
            {
                Seen(ref seen, 2, A, index, "providers");
                r.Read();
                if (r.TokenType != JsonTokenType.StartArray)
                    throw Entry(A, index, $"providers: expected an array, found {Describe(ref r)}");
                int j = 0;
                while (r.Read() && r.TokenType != JsonTokenType.EndArray)
                {
                    if (r.TokenType == JsonTokenType.StartObject)
                        throw Entry(A, index, $"providers[{j}] is an object; only plain AS numbers are supported "
                            + "(provider objects with provider_asid/afi_limit come from old ASPA profile drafts)");
                    providers.Add(ReadAsn(ref r, A, index, $"providers[{j}]"));
                    j++;
                }
            }
            else if (r.ValueTextEquals("expires"u8))
            {
                Seen(ref seen, 4, A, index, "expires");
                r.Read();
                expires = ReadExpires(ref r, A, index);
            }
            else
            {
                r.Skip();
            }
        }
        if ((seen & 1) == 0) throw Entry(A, index, "missing \"customer_asid\"");
        if ((seen & 2) == 0) throw Entry(A, index, "missing \"providers\"");
        if (CheckProviders(customer, providers) is string problem) throw Entry(A, index, problem);
        if (s.Expired(expires)) s.AspasExpired++;
        else s.Builder.AddAspa(customer, providers.ToArray());
    }

    /// <summary>The ASPA profile rules on one provider list as written; null when it is acceptable.</summary>
    internal static string? CheckProviders(uint customer, IReadOnlyList<uint> providers)
    {
        if (providers.Count == 0) return $"ASPA of AS{customer} has no providers";
        if (providers.Count > Aspa.MaxProviders)
            return $"ASPA of AS{customer} has {providers.Count} providers, more than the {Aspa.MaxProviders} one RTR PDU can carry";
        for (int j = 0; j < providers.Count; j++)
        {
            uint p = providers[j];
            if (p == customer) return $"ASPA of AS{customer} lists the customer itself among its providers";
            if (j == 0) continue;
            uint prev = providers[j - 1];
            if (p == prev) return $"ASPA of AS{customer} lists provider AS{p} twice";
            if (p < prev) return $"providers of AS{customer} not in ascending order: AS{p} after AS{prev}";
        }
        if (providers[0] == 0 && providers.Count > 1) return $"ASPA of AS{customer} has AS0 together with other providers";
        return null;
    }

    private static void ParseKey(ref Utf8JsonReader r, ParseState s, int index)
    {
        const string A = "bgpsec_keys";
        uint asn = 0;
        byte[]? ski = null, spki = null;
        long? expires = null;
        int seen = 0;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("asn"u8))
            {
                Seen(ref seen, 1, A, index, "asn");
                r.Read();
                asn = ReadAsn(ref r, A, index, "asn");
            }
            else if (r.ValueTextEquals("ski"u8))
            {
                Seen(ref seen, 2, A, index, "ski");
                r.Read();
                if (r.TokenType != JsonTokenType.String) throw Entry(A, index, $"ski must be a string, found {Describe(ref r)}");
                string text = r.GetString()!;
                ski = DecodeSki(text) ?? throw Entry(A, index, $"ski '{Clip(text)}' is neither 40 hex digits nor base64 of 20 octets");
            }
            else if (r.ValueTextEquals("pubkey"u8))
            {
                Seen(ref seen, 4, A, index, "pubkey");
                r.Read();
                if (r.TokenType != JsonTokenType.String) throw Entry(A, index, $"pubkey must be a string, found {Describe(ref r)}");
                string text = r.GetString()!;
                if (!Base64Text.TryDecode(text, out spki)) throw Entry(A, index, $"pubkey '{Clip(text)}' is not valid base64");
                if (!LooksLikeDerSequence(spki))
                    throw Entry(A, index, $"pubkey '{Clip(text)}' is not a DER SEQUENCE (SubjectPublicKeyInfo)");
            }
            else if (r.ValueTextEquals("expires"u8))
            {
                Seen(ref seen, 8, A, index, "expires");
                r.Read();
                expires = ReadExpires(ref r, A, index);
            }
            else
            {
                r.Skip();
            }
        }
        if ((seen & 1) == 0) throw Entry(A, index, "missing \"asn\"");
        if (ski is null) throw Entry(A, index, "missing \"ski\"");
        if (spki is null) throw Entry(A, index, "missing \"pubkey\"");
        if (!RouterKey.TryCreate(ski, asn, spki, out var key, out var error)) throw Entry(A, index, error);
        if (s.Expired(expires)) s.KeysExpired++;
        else s.Builder.Add(key);
    }

    /// <summary>rpki-client writes the SKI as 40 upper-case hex digits; base64 (27/28 characters for 20 octets,
    /// so never confused with hex) is accepted as well.</summary>
    internal static byte[]? DecodeSki(string text)
    {
        if (text.Length == 2 * RouterKey.SkiLength && Base64Text.TryDecodeHex(text, out var hex)) return hex;
        if (text.Length is 27 or 28 && Base64Text.TryDecode(text, out var b64) && b64.Length == RouterKey.SkiLength) return b64;
        return null;
    }

    /// <summary>A minimal structural check: one DER SEQUENCE whose length covers the data exactly.</summary>
    private static bool LooksLikeDerSequence(ReadOnlySpan<byte> der)
    {
        if (der.Length < 2 || der[0] != 0x30) return false;
        int header, length;
        if (der[1] < 0x80)
        {
            header = 2;
            length = der[1];
        }
        else
        {
            int n = der[1] & 0x7F;
            if (n is 0 or > 3 || der.Length < 2 + n) return false;
            length = 0;
            for (int i = 0; i < n; i++) length = (length << 8) | der[2 + i];
            header = 2 + n;
        }
        return header + length == der.Length;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per file over ~790,000 entries: skip tier-0 code
    private static long? ReadExpires(ref Utf8JsonReader r, string array, int index)
    {
        if (r.TokenType == JsonTokenType.Null) return null;
        if (r.TokenType != JsonTokenType.Number || !r.TryGetInt64(out long v))
            throw Entry(array, index, $"expires {Raw(ref r)} is not an integer (Unix seconds)");
        return v;
    }

    /// <summary>A number 0..4294967295, or a string of such a number with an optional "AS" prefix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per file over ~790,000 entries: skip tier-0 code
    private static uint ReadAsn(ref Utf8JsonReader r, string array, int index, string member)
    {
        if (r.TokenType == JsonTokenType.Number)
        {
            if (r.TryGetUInt32(out uint v)) return v;
            throw Entry(array, index, $"{member} {Raw(ref r)} is not an AS number (integer 0..4294967295)");
        }
        if (r.TokenType == JsonTokenType.String)
        {
            // Escaped strings are rare here; unescaping them through a string keeps the common path allocation-free.
            ReadOnlySpan<byte> text = r.ValueIsEscaped ? Encoding.UTF8.GetBytes(r.GetString()!) : r.ValueSpan;
            if (TryParseAsnText(text, out uint v)) return v;
            throw Entry(array, index, $"{member} \"{Clip(r.GetString()!)}\" is not an AS number");
        }
        throw Entry(array, index, $"{member} must be a number or an \"AS<number>\" string, found {Describe(ref r)}");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per file over ~790,000 entries: skip tier-0 code
    private static bool TryParseAsnText(ReadOnlySpan<byte> s, out uint asn)
    {
        asn = 0;
        if (s.Length >= 2 && (s[0] | 0x20) == 'a' && (s[1] | 0x20) == 's') s = s[2..];
        if (s.Length is 0 or > 10) return false;
        ulong v = 0;
        foreach (byte c in s)
        {
            if (c is < (byte)'0' or > (byte)'9') return false;
            v = v * 10 + (ulong)(c - '0');
        }
        if (v > uint.MaxValue) return false;
        asn = (uint)v;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per file over ~790,000 entries: skip tier-0 code
    private static IpPrefix ReadPrefix(ref Utf8JsonReader r, string array, int index)
    {
        if (r.TokenType != JsonTokenType.String) throw Entry(array, index, $"prefix must be a string, found {Describe(ref r)}");
        ReadOnlySpan<byte> text = r.ValueIsEscaped ? Encoding.UTF8.GetBytes(r.GetString()!) : r.ValueSpan;
        if (!PrefixText.TryParse(text, out var prefix, out var error)) throw Entry(array, index, $"prefix {error}");
        return prefix;
    }

    private static string Raw(ref Utf8JsonReader r) => r.TokenType switch
    {
        JsonTokenType.Number => Encoding.UTF8.GetString(r.ValueSpan),
        JsonTokenType.String => $"\"{Clip(r.GetString()!)}\"",
        _ => Describe(ref r),
    };

    private static string Describe(ref Utf8JsonReader r) => r.TokenType switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => r.TokenType.ToString(),
    };

    private static string Clip(string s) => s.Length <= 80 ? s : s[..77] + "...";

    /// <summary>A growable byte buffer rented from the shared pool, for reading whole streams.</summary>
    private sealed class PooledBuffer : IDisposable
    {
        private byte[] _array;
        private int _length;

        public PooledBuffer(int sizeHint) => _array = ArrayPool<byte>.Shared.Rent(Math.Max(sizeHint, 64 * 1024));

        public ReadOnlySpan<byte> Written => _array.AsSpan(0, _length);

        public Span<byte> FreeSpace() => FreeMemory().Span;

        public Memory<byte> FreeMemory()
        {
            if (_length == _array.Length)
            {
                if (_array.Length >= Array.MaxLength) throw new InvalidOperationException("input too large");
                var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)_array.Length * 2, Array.MaxLength));
                _array.AsSpan(0, _length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_array);
                _array = bigger;
            }
            return _array.AsMemory(_length);
        }

        public void Advance(int count) => _length += count;

        public void Dispose()
        {
            ArrayPool<byte>.Shared.Return(_array);
            _array = [];
        }
    }

    // ---------------------------------------------------------------- writing

    private static readonly JsonEncodedText NMetadata = JsonEncodedText.Encode("metadata");
    private static readonly JsonEncodedText NBuildMachine = JsonEncodedText.Encode("buildmachine");
    private static readonly JsonEncodedText NBuildTime = JsonEncodedText.Encode("buildtime");
    private static readonly JsonEncodedText NGenerated = JsonEncodedText.Encode("generated");
    private static readonly JsonEncodedText NVrps = JsonEncodedText.Encode("vrps");
    private static readonly JsonEncodedText NUniqueVrps = JsonEncodedText.Encode("uniquevrps");
    private static readonly JsonEncodedText NVaps = JsonEncodedText.Encode("vaps");
    private static readonly JsonEncodedText NUniqueVaps = JsonEncodedText.Encode("uniquevaps");
    private static readonly JsonEncodedText NBgpsecPubkeys = JsonEncodedText.Encode("bgpsec_pubkeys");
    private static readonly JsonEncodedText NRoas = JsonEncodedText.Encode("roas");
    private static readonly JsonEncodedText NAsn = JsonEncodedText.Encode("asn");
    private static readonly JsonEncodedText NPrefix = JsonEncodedText.Encode("prefix");
    private static readonly JsonEncodedText NMaxLength = JsonEncodedText.Encode("maxLength");
    private static readonly JsonEncodedText NTa = JsonEncodedText.Encode("ta");
    private static readonly JsonEncodedText NExpires = JsonEncodedText.Encode("expires");
    private static readonly JsonEncodedText NBgpsecKeys = JsonEncodedText.Encode("bgpsec_keys");
    private static readonly JsonEncodedText NSki = JsonEncodedText.Encode("ski");
    private static readonly JsonEncodedText NPubkey = JsonEncodedText.Encode("pubkey");
    private static readonly JsonEncodedText NAspas = JsonEncodedText.Encode("aspas");
    private static readonly JsonEncodedText NCustomerAsid = JsonEncodedText.Encode("customer_asid");
    private static readonly JsonEncodedText NProviders = JsonEncodedText.Encode("providers");

    private const int FlushThreshold = 64 * 1024;

    private static JsonWriterOptions WriterOptions(bool indented) => new()
    {
        Indented = indented,
        // The structure is fixed by the code below (and covered by tests); skipping the writer's own nesting checks saves time.
        SkipValidation = true,
        // Base64 key material contains '+' and '/', which the default encoder would write as \u002B.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes <paramref name="set"/> as rpki-client JSON to <paramref name="stream"/> (UTF-8, no BOM).</summary>
    public static void Write(Stream stream, PayloadSet set, RpkiClientJsonMetadata metadata, bool indented = false)
    {
        using var w = new Utf8JsonWriter(stream, WriterOptions(indented));
        WriteCore(w, set, metadata);
        w.Flush();
    }

    /// <summary>Writes <paramref name="set"/> as rpki-client JSON to <paramref name="output"/> (UTF-8, no BOM).</summary>
    public static void Write(IBufferWriter<byte> output, PayloadSet set, RpkiClientJsonMetadata metadata, bool indented = false)
    {
        using var w = new Utf8JsonWriter(output, WriterOptions(indented));
        WriteCore(w, set, metadata);
        w.Flush();
    }

    /// <summary>
    /// Writes <paramref name="set"/> as rpki-client JSON to <paramref name="stream"/> asynchronously, in chunks of
    /// about 64 KiB: what an HTTP response needs, where synchronous writes are not allowed and a global set (~70 MB
    /// of JSON) must not be held in memory whole. The bytes are the same as <see cref="Write(Stream, PayloadSet, RpkiClientJsonMetadata, bool)"/>.
    /// </summary>
    public static async Task WriteAsync(Stream stream, PayloadSet set, RpkiClientJsonMetadata metadata, bool indented = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var w = new Utf8JsonWriter(stream, WriterOptions(indented));
        await using (w.ConfigureAwait(false))
        {
            foreach (var _ in WriteSteps(w, set, metadata))
                await w.FlushAsync(cancellationToken).ConfigureAwait(false);
            await w.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Convenience for small sets and tests: the JSON as a byte array.</summary>
    public static byte[] WriteToArray(PayloadSet set, RpkiClientJsonMetadata metadata, bool indented = false)
    {
        var buffer = new ArrayBufferWriter<byte>(1024 + set.VrpCount * 96 + set.RouterKeyCount * 300 + set.AspaCount * 120);
        Write(buffer, set, metadata, indented);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteCore(Utf8JsonWriter w, PayloadSet set, RpkiClientJsonMetadata meta)
    {
        foreach (var _ in WriteSteps(w, set, meta)) w.Flush();
    }

    /// <summary>
    /// Writes the document, pausing (one element yielded) whenever more than <see cref="FlushThreshold"/> bytes are
    /// pending, so that one writer body serves the synchronous and the asynchronous flush.
    /// </summary>
    private static IEnumerable<int> WriteSteps(Utf8JsonWriter w, PayloadSet set, RpkiClientJsonMetadata meta)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(meta);
        var ta = JsonEncodedText.Encode(meta.TrustAnchor ?? "", System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
        long? expires = meta.Expires?.ToUnixTimeSeconds();
        var prefixBuffer = new byte[48];

        w.WriteStartObject();
        w.WriteStartObject(NMetadata);
        if (meta.BuildMachine is not null) w.WriteString(NBuildMachine, meta.BuildMachine);
        if (meta.BuildTime is DateTimeOffset bt)
            w.WriteString(NBuildTime, bt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        if ((meta.Generated ?? meta.BuildTime) is DateTimeOffset gen) w.WriteNumber(NGenerated, gen.ToUnixTimeSeconds());
        w.WriteNumber(NVrps, set.VrpCount);
        w.WriteNumber(NUniqueVrps, set.VrpCount);
        w.WriteNumber(NVaps, set.AspaCount);
        w.WriteNumber(NUniqueVaps, set.AspaCount);
        w.WriteNumber(NBgpsecPubkeys, set.RouterKeyCount);
        w.WriteEndObject();

        w.WriteStartArray(NRoas);
        for (int i = 0; i < set.V4Count; i++)
        {
            WriteVrp(w, set.V4[i], ta, expires, prefixBuffer);
            if (w.BytesPending > FlushThreshold) yield return 0;
        }
        for (int i = 0; i < set.V6Count; i++)
        {
            WriteVrp(w, set.V6[i], ta, expires, prefixBuffer);
            if (w.BytesPending > FlushThreshold) yield return 0;
        }
        w.WriteEndArray();

        w.WriteStartArray(NBgpsecKeys);
        for (int i = 0; i < set.RouterKeyCount; i++)
        {
            var key = set.RouterKeys[i];
            w.WriteStartObject();
            w.WriteNumber(NAsn, key.Asn);
            w.WriteString(NSki, Convert.ToHexString(key.Ski.AsSpan()));
            w.WriteBase64String(NPubkey, key.SubjectPublicKeyInfo.AsSpan());
            w.WriteString(NTa, ta);
            if (expires is long e) w.WriteNumber(NExpires, e);
            w.WriteEndObject();
            if (w.BytesPending > FlushThreshold) yield return 0;
        }
        w.WriteEndArray();

        w.WriteStartArray(NAspas);
        for (int i = 0; i < set.AspaCount; i++)
        {
            var aspa = set.Aspas[i];
            w.WriteStartObject();
            w.WriteNumber(NCustomerAsid, aspa.Customer);
            if (expires is long e) w.WriteNumber(NExpires, e);
            w.WriteStartArray(NProviders);
            foreach (uint p in aspa.Providers) w.WriteNumberValue(p);
            w.WriteEndArray();
            w.WriteEndObject();
            if (w.BytesPending > FlushThreshold) yield return 0;
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per file over ~790,000 entries: skip tier-0 code
    private static void WriteVrp(Utf8JsonWriter w, in Vrp v, JsonEncodedText ta, long? expires, byte[] prefixBuffer)
    {
        int n = PrefixText.Format(prefixBuffer, v.IsIPv6, v.AddressBits, v.PrefixLength);
        w.WriteStartObject();
        w.WriteNumber(NAsn, v.Asn);
        w.WriteString(NPrefix, prefixBuffer.AsSpan(0, n));
        w.WriteNumber(NMaxLength, v.MaxLength);
        w.WriteString(NTa, ta);
        if (expires is long e) w.WriteNumber(NExpires, e);
        w.WriteEndObject();
    }
}
