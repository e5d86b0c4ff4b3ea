using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RtrCache.Host.Cli.Configuration;

/// <summary>
/// Reads an <c>rtrcache.json</c> configuration file: one JSON object whose keys are <c>serve</c> option names
/// without dashes. It uses <see cref="Utf8JsonReader"/> directly rather than a DOM because every message must
/// name the line the operator has to fix, and only the reader knows where each token starts.
/// <para>Comments (<c>//</c>, <c>/* */</c>) and trailing commas are allowed, so an example file can explain
/// every key and lines can be commented out. <c>null</c> leaves an option at its default.</para>
/// </summary>
internal static class ConfigFileReader
{
    /// <summary>Larger than any real configuration by far; a bigger file is a mistake (wrong path), not a config.</summary>
    public const int MaxBytes = 1 << 20;

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// Parses <paramref name="content"/> (the file's bytes) and returns the values per option, in file order.
    /// Every problem is added to <paramref name="errors"/> as <c>PATH line N: "key": value: what is wrong</c>;
    /// reading goes on after a bad entry so one start-up attempt shows all of them.
    /// </summary>
    public static List<ConfiguredOption> Parse(ReadOnlySpan<byte> content, string path, OptionCatalog catalog, List<string> errors)
    {
        if (content.StartsWith(Utf8Bom)) content = content[Utf8Bom.Length..];
        var lines = new LineIndex(content);
        var result = new List<ConfiguredOption>();
        var seen = new Dictionary<ConfigurableOption, (string Key, int Line)>();
        var reader = new Utf8JsonReader(content, new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            MaxDepth = 16,
        });
        try
        {
            if (!reader.Read())
            {
                errors.Add($"{path}: empty; expected a JSON object such as {{ \"rtr-listen\": [\"127.0.0.1:3323\"] }}");
                return result;
            }
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                errors.Add($"{At(path, lines.LineOf(reader.TokenStartIndex))}: expected a JSON object {{ \"option\": value, ... }} at the top, found {Describe(reader.TokenType)}");
                return result;
            }
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                string key = reader.GetString()!;
                int keyLine = lines.LineOf(reader.TokenStartIndex);
                reader.Read();
                if (!catalog.TryGetByKey(key, out var option))
                {
                    errors.Add(UnknownKey(path, keyLine, key, catalog));
                    reader.Skip();
                    continue;
                }
                if (seen.TryGetValue(option, out var first))
                {
                    errors.Add($"{At(path, keyLine)}: {ValueOrigin.Quote(key)}: given twice (first as {ValueOrigin.Quote(first.Key)} at line {first.Line.ToString(CultureInfo.InvariantCulture)})");
                    reader.Skip();
                    continue;
                }
                seen[option] = (key, keyLine);
                if (ReadValues(ref reader, lines, path, key, option, errors) is { } values)
                    result.Add(new ConfiguredOption(option, values));
            }
            // Anything after the closing brace is refused by the reader itself (a JsonException below).
            while (reader.Read())
            {
            }
        }
        catch (JsonException e)
        {
            int line = (int)(e.LineNumber ?? 0) + 1;
            int column = lines.ColumnOf(line, e.BytePositionInLine ?? 0);
            errors.Add($"{path} line {line.ToString(CultureInfo.InvariantCulture)}, column {column.ToString(CultureInfo.InvariantCulture)}: not valid JSON: {ReaderMessage(e)}");
        }
        return result;
    }

    /// <summary>Null when the value was refused (the error is added) or JSON <c>null</c> (nothing to hand over).</summary>
    private static List<ConfiguredValue>? ReadValues(
        ref Utf8JsonReader reader, LineIndex lines, string path, string key, ConfigurableOption option, List<string> errors)
    {
        string shownKey = ValueOrigin.Quote(key);
        int line = lines.LineOf(reader.TokenStartIndex);
        if (reader.TokenType == JsonTokenType.Null)
            return null;
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            if (!option.IsList)
            {
                errors.Add($"{At(path, line)}: {shownKey}: [...]: expected {option.Expected}; only repeatable options take an array");
                reader.Skip();
                return null;
            }
            var values = new List<ConfiguredValue>();
            bool ok = true;
            int index = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                string elementKey = $"{shownKey}[{index.ToString(CultureInfo.InvariantCulture)}]";
                int elementLine = lines.LineOf(reader.TokenStartIndex);
                if (Scalar(ref reader, option.Kind) is { } element)
                {
                    values.Add(new ConfiguredValue(element.Text, ValueOrigin.FromFile(path, elementLine, elementKey, element.Json)));
                }
                else
                {
                    errors.Add($"{At(path, elementLine)}: {elementKey}: {Shown(ref reader)}: expected {option.ElementExpected}");
                    if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject) reader.Skip();
                    ok = false;
                }
                index++;
            }
            return ok ? values : null;
        }
        if (Scalar(ref reader, option.Kind) is { } value)
        {
            // A single value for a repeatable option is taken as a list of one: "allow": "10.0.0.0/8".
            return [new ConfiguredValue(value.Text, ValueOrigin.FromFile(path, line, shownKey, value.Json))];
        }
        errors.Add($"{At(path, line)}: {shownKey}: {Shown(ref reader)}: expected {option.Expected}");
        if (reader.TokenType is JsonTokenType.StartObject) reader.Skip();
        return null;
    }

    /// <summary>The token text for the parser and the JSON text for messages, or null when the JSON type is wrong.</summary>
    private static (string Text, string Json)? Scalar(ref Utf8JsonReader reader, ConfigValueKind kind)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String when kind == ConfigValueKind.String:
                string s = reader.GetString()!;
                return (s, ValueOrigin.Quote(s));
            case JsonTokenType.Number when kind == ConfigValueKind.Number:
                // The number exactly as written: the option's own parser decides whether 1.5 or 1e3 is acceptable.
                string n = Encoding.UTF8.GetString(reader.ValueSpan);
                return (n, n);
            case JsonTokenType.True when kind == ConfigValueKind.Boolean:
                return ("true", "true");
            case JsonTokenType.False when kind == ConfigValueKind.Boolean:
                return ("false", "false");
            default:
                return null;
        }
    }

    /// <summary>The value as written, shortened for containers: <c>"600"</c>, <c>5</c>, <c>{...}</c>.</summary>
    private static string Shown(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => ValueOrigin.Quote(reader.GetString()!),
        JsonTokenType.StartObject => "{...}",
        JsonTokenType.StartArray => "[...]",
        JsonTokenType.Null => "null",
        _ => Encoding.UTF8.GetString(reader.ValueSpan),
    };

    private static string UnknownKey(string path, int line, string key, OptionCatalog catalog)
    {
        string message = $"{At(path, line)}: {ValueOrigin.Quote(key)}: unknown key";
        if (string.Equals(key, "config", StringComparison.OrdinalIgnoreCase))
            return $"{message}; a configuration file cannot name another one (use --config or {ServeConfiguration.ConfigEnvironmentVariable})";
        return catalog.Suggest(key) is { } suggestion
            ? $"{message}; did you mean {ValueOrigin.Quote(suggestion)}? (keys are the serve option names without the leading dashes)"
            : $"{message} (keys are the serve option names without the leading dashes; see rtrcache serve --help)";
    }

    private static string At(string path, int line) => $"{path} line {line.ToString(CultureInfo.InvariantCulture)}";

    private static string Describe(JsonTokenType type) => type switch
    {
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => type.ToString(),
    };

    /// <summary>The reader's message without its own " LineNumber: 6 | BytePositionInLine: 4." tail (we print line and column).</summary>
    private static string ReaderMessage(JsonException e)
    {
        string m = e.Message;
        int tail = m.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (tail >= 0 ? m[..tail] : m).Trim();
    }

    /// <summary>Byte offsets of line starts, to turn a token's byte position into a 1-based line and column.</summary>
    private sealed class LineIndex
    {
        private readonly List<int> _starts = [0];
        private readonly byte[] _content;

        public LineIndex(ReadOnlySpan<byte> content)
        {
            _content = content.ToArray();
            for (int i = 0; i < content.Length; i++)
                if (content[i] == (byte)'\n') _starts.Add(i + 1);
        }

        public int LineOf(long offset)
        {
            int index = _starts.BinarySearch((int)Math.Min(offset, int.MaxValue));
            return (index >= 0 ? index : ~index - 1) + 1;
        }

        /// <summary>1-based character column of a 0-based byte position in a 1-based line (UTF-8 aware).</summary>
        public int ColumnOf(int line, long bytePosition)
        {
            if (line < 1 || line > _starts.Count) return (int)bytePosition + 1;
            int start = _starts[line - 1];
            int length = (int)Math.Clamp(bytePosition, 0, _content.Length - start);
            return Encoding.UTF8.GetCharCount(_content, start, length) + 1;
        }
    }
}
