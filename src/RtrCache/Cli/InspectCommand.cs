using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RtrCache.Rpki.Inspection;
using RtrCache.Rpki.Objects;

namespace RtrCache.Host.Cli;

/// <summary>
/// <c>rtrcache inspect</c>: decode RPKI objects and TALs, run every check that needs no issuer plus the validity
/// window at <c>--now</c>, and print the content (like rpki-client -f).
/// </summary>
public static class InspectCommand
{
    /// <summary>Exit code when every file passed.</summary>
    public const int Ok = 0;

    /// <summary>Exit code when at least one file was rejected or is outside its validity window.</summary>
    public const int Rejected = 1;

    /// <summary>Exit code for a usage error (e.g. an unreadable --now).</summary>
    public const int UsageError = 2;

    public static Command Create()
    {
        var files = new Argument<string[]>("FILE") { Description = "RPKI object (.cer .crl .mft .roa .asa .gbr .tak .spl .sig) or TAL (.tal)", Arity = ArgumentArity.OneOrMore };
        var now = new Option<string?>("--now") { Description = "Check validity windows at this time (ISO 8601, e.g. 2019-04-06T12:00:00Z, or Unix seconds); default: the current time" };
        var json = new Option<bool>("--json") { Description = "Print a JSON array (one element per FILE) instead of text" };
        var command = new Command("inspect", "Decode RPKI objects and TALs, check everything that needs no issuer, and print their content") { files, now, json };
        command.SetAction(parse => Run(parse.GetValue(files) ?? [], parse.GetValue(now), parse.GetValue(json), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    internal static int Run(IReadOnlyList<string> files, string? nowText, bool json, TextWriter output, TextWriter error)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        if (nowText is not null && !TryParseTime(nowText, out now))
        {
            error.WriteLine($"rtrcache inspect: --now {nowText}: expected an ISO 8601 time such as 2019-04-06T12:00:00Z or Unix seconds");
            return UsageError;
        }

        int exit = Ok;
        var results = new JsonArray();
        foreach (var file in files)
        {
            var entry = new JsonObject { ["file"] = file };
            string? reason = null;
            RpkiObject? obj = null;
            try
            {
                var info = new FileInfo(file);
                if (!info.Exists) reason = "file not found";
                else if (info.Length > 8 * 1024 * 1024) reason = $"{info.Length} bytes, larger than the 8 MiB limit";
                else
                {
                    var decoded = RpkiFile.Decode(File.ReadAllBytes(file), file);
                    if (!decoded.IsSuccess) reason = decoded.Error;
                    else if (decoded.Value is UnsupportedFile) reason = "not an RPKI object or TAL (unknown file extension)";
                    else
                    {
                        obj = decoded.Value;
                        reason = obj.CheckValidityAt(now);
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                reason = $"cannot read: {e.Message}";
            }

            entry["valid"] = reason is null;
            if (reason is not null)
            {
                entry["reason"] = reason;
                error.WriteLine($"rtrcache inspect: {file}: {reason}");
                exit = Rejected;
            }
            if (obj is not null) entry["object"] = ObjectDescriber.Describe(obj);
            results.Add(entry);

            if (!json)
            {
                output.WriteLine($"file: {file}");
                output.WriteLine($"status: {(reason is null ? $"valid at {RpkiObject.FormatTime(now)}" : "REJECTED: " + reason)}");
                if (obj is not null) output.Write(ObjectDescriber.ToText(ObjectDescriber.Describe(obj)));
                output.WriteLine();
            }
        }
        if (json)
            output.WriteLine(results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return exit;
    }

    internal static bool TryParseTime(string text, out DateTimeOffset time)
    {
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds) && seconds <= 253402300799)
        {
            time = DateTimeOffset.FromUnixTimeSeconds(seconds);
            return true;
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
    }
}
