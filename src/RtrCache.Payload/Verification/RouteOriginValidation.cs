using System.Globalization;

namespace RtrCache.Payload.Verification;

/// <summary>The route origin validation state of RFC 6811 §2.</summary>
public enum RouteOriginState
{
    /// <summary>No VRP covers the route's prefix.</summary>
    NotFound,

    /// <summary>At least one covering VRP has the route's origin AS and a max length ≥ the route's length.</summary>
    Valid,

    /// <summary>Covering VRPs exist, but none matches.</summary>
    Invalid,
}

/// <summary>
/// The outcome of validating one route (prefix, origin AS) against a payload set, with the VRPs that decided
/// it, so that an operator can see why a route is Invalid: another AS is authorised, or the right AS is
/// authorised only for a shorter prefix (the max-length case of RFC 9319).
/// </summary>
public sealed class RouteOriginResult
{
    internal RouteOriginResult(IpPrefix route, uint origin, IReadOnlyList<Vrp> matched, IReadOnlyList<Vrp> unmatchedAs, IReadOnlyList<Vrp> unmatchedLength)
    {
        Route = route;
        Origin = origin;
        Matched = matched;
        UnmatchedAs = unmatchedAs;
        UnmatchedLength = unmatchedLength;
        State = matched.Count > 0 ? RouteOriginState.Valid
            : unmatchedAs.Count + unmatchedLength.Count > 0 ? RouteOriginState.Invalid
            : RouteOriginState.NotFound;
    }

    public IpPrefix Route { get; }
    public uint Origin { get; }
    public RouteOriginState State { get; }

    /// <summary>Covering VRPs that match: same origin AS (not AS 0) and max length ≥ the route's length.</summary>
    public IReadOnlyList<Vrp> Matched { get; }

    /// <summary>Covering VRPs for another origin AS, and every covering AS 0 VRP (RFC 6483 §4: AS 0 never matches).</summary>
    public IReadOnlyList<Vrp> UnmatchedAs { get; }

    /// <summary>Covering VRPs for the route's origin AS whose max length is shorter than the route's prefix.</summary>
    public IReadOnlyList<Vrp> UnmatchedLength { get; }

    /// <summary>
    /// Why an Invalid route is invalid: "length" when the origin AS is authorised for the prefix but not this
    /// long (the usual operator mistake), otherwise "as"; null unless <see cref="State"/> is Invalid. The same
    /// labels Routinator's validity API uses.
    /// </summary>
    public string? InvalidReason => State != RouteOriginState.Invalid ? null : UnmatchedLength.Count > 0 ? "length" : "as";

    /// <summary>One sentence for people: the state and what decided it.</summary>
    public string Description => State switch
    {
        RouteOriginState.Valid => string.Create(CultureInfo.InvariantCulture,
            $"At least one VRP matches the route prefix and origin AS{Origin} ({Matched[0]})."),
        RouteOriginState.NotFound => "No VRP covers the route prefix.",
        _ when UnmatchedLength.Count > 0 => string.Create(CultureInfo.InvariantCulture,
            $"VRPs cover the route prefix and authorise AS{Origin}, but only up to a shorter prefix length than /{Route.Length} ({UnmatchedLength[0]})."),
        _ => string.Create(CultureInfo.InvariantCulture,
            $"VRPs cover the route prefix, but none authorises origin AS{Origin}."),
    };
}

/// <summary>
/// Route origin validation (RFC 6811 §2, with RFC 6483 §4 / RFC 7607 for AS 0) of a route against the VRPs of
/// a <see cref="PayloadSet"/>. A route is (prefix, origin AS); the origin AS is the last AS of the AS_PATH, or
/// "NONE" (which matches nothing) when the path ends in an AS_SET — a caller with such a path passes any AS it
/// knows matches no VRP, e.g. AS 0.
/// </summary>
public static class RouteOriginValidator
{
    /// <summary>Validates <paramref name="route"/> originated by <paramref name="origin"/>.</summary>
    public static RouteOriginResult Validate(PayloadSet set, IpPrefix route, uint origin)
    {
        var matched = new List<Vrp>();
        var unmatchedAs = new List<Vrp>();
        var unmatchedLength = new List<Vrp>();
        foreach (var vrp in VrpSearch.Covering(set, route))
        {
            // RFC 6811 §2: a candidate VRP matches when its ASN equals the origin AS and the route's length is at
            // most its max length. AS 0 can never be a route's origin (RFC 7607), so an AS 0 VRP never matches.
            if (vrp.Asn != origin || origin == 0) unmatchedAs.Add(vrp);
            else if (route.Length > vrp.MaxLength) unmatchedLength.Add(vrp);
            else matched.Add(vrp);
        }
        return new RouteOriginResult(route, origin, matched, unmatchedAs, unmatchedLength);
    }
}
