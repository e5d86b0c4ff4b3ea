using System.Globalization;
using Microsoft.AspNetCore.Http;
using RtrCache.Payload;
using RtrCache.Payload.Verification;

namespace RtrCache.Host.Api;

/// <summary>
/// The query string of one API request, checked against the parameters its endpoint knows. An unknown or
/// repeated parameter is a 400, not ignored: a typo such as <c>?asm=64496</c> silently widening a filter to the
/// whole table is worse than an error.
/// </summary>
internal sealed class ApiQuery
{
    private readonly IQueryCollection _query;

    public ApiQuery(HttpRequest request, params string[] allowed)
    {
        _query = request.Query;
        foreach (var (name, values) in _query)
        {
            if (!allowed.Contains(name, StringComparer.Ordinal))
            {
                throw ApiException.BadParameter(name, allowed.Length == 0
                    ? $"unknown query parameter '{Clip(name)}': this endpoint takes none"
                    : $"unknown query parameter '{Clip(name)}'; this endpoint takes {string.Join(", ", allowed)}");
            }
            if (values.Count > 1) throw ApiException.BadParameter(name, $"{name}: given {values.Count} times, expected once");
        }
    }

    /// <summary>The raw value, or null when absent.</summary>
    public string? Get(string name) => _query.TryGetValue(name, out var v) ? v.ToString() : null;

    public uint? Asn(string name) => Get(name) is { } text ? ParseAsn(name, text) : null;

    public IpPrefix? Prefix(string name) => Get(name) is { } text ? ParsePrefix(name, text) : null;

    public int Int(string name, int fallback, int min, int max)
    {
        string? text = Get(name);
        if (text is null) return fallback;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
            throw ApiException.BadParameter(name, $"{name} '{Clip(text)}': expected an integer {min}..{max}");
        return value;
    }

    public bool Bool(string name, bool fallback)
        => Get(name) switch
        {
            null => fallback,
            "true" or "1" or "yes" => true,
            "false" or "0" or "no" => false,
            var text => throw ApiException.BadParameter(name, $"{name} '{Clip(text)}': expected true or false"),
        };

    /// <summary>One of <paramref name="choices"/> (case-sensitive), or <paramref name="fallback"/> when absent.</summary>
    public string Choice(string name, string fallback, params string[] choices)
    {
        string? text = Get(name);
        if (text is null) return fallback;
        if (!choices.Contains(text, StringComparer.Ordinal))
            throw ApiException.BadParameter(name, $"{name} '{Clip(text)}': expected one of {string.Join(", ", choices)}");
        return text;
    }

    /// <summary>An AS number: decimal 0..4294967295, optionally written <c>AS64496</c>.</summary>
    public static uint ParseAsn(string name, string text)
        => AsPath.TryParseAsn(text, out uint asn)
            ? asn
            : throw ApiException.BadParameter(name, $"{name} '{Clip(text)}': expected an AS number 0..4294967295, e.g. 64496 or AS64496");

    /// <summary>A prefix such as <c>192.0.2.0/24</c> or <c>2001:db8::/32</c>, host bits zero.</summary>
    public static IpPrefix ParsePrefix(string name, string text)
        => IpPrefix.TryParse(text, out var prefix, out var error)
            ? prefix
            : throw ApiException.BadParameter(name, $"{name}: {Clip(error, 200)}");

    /// <summary>Shortens echoed input so an error message stays readable (and small) whatever was sent.</summary>
    public static string Clip(string text, int max = 80) => text.Length <= max ? text : text[..(max - 3)] + "...";
}
