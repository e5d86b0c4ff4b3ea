namespace RtrCache.Payload;

/// <summary>
/// An RTR serial number. Routers compare serials with RFC 1982 arithmetic (SERIAL_BITS = 32), so a cache
/// that runs long enough wraps from 4,294,967,295 to 0 and must still be seen as moving forward; plain
/// <see cref="uint"/> comparison would make every router reset at the wrap.
/// </summary>
public readonly struct Serial : IEquatable<Serial>
{
    /// <summary>The raw 32-bit value as it appears on the wire.</summary>
    public uint Value { get; }

    public Serial(uint value) => Value = value;

    /// <summary>The serial that follows this one, wrapping at 2^32.</summary>
    public Serial Next() => new(unchecked(Value + 1));

    /// <summary>RFC 1982 addition; <paramref name="n"/> must be in 0 .. 2^31 − 1.</summary>
    public Serial Add(uint n)
    {
        if (n > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(n), n, "RFC 1982 allows adding at most 2^31 - 1.");
        return new Serial(unchecked(Value + n));
    }

    /// <summary>
    /// The signed distance from this serial to <paramref name="later"/>: positive when <paramref name="later"/>
    /// is after this one. <c>null</c> when the two are exactly 2^31 apart, where RFC 1982 leaves the order undefined.
    /// </summary>
    public int? DistanceTo(Serial later)
    {
        int d = unchecked((int)(later.Value - Value));
        return d == int.MinValue ? null : d;
    }

    /// <summary>True when this serial comes before <paramref name="other"/> in RFC 1982 order.</summary>
    public bool IsBefore(Serial other) => DistanceTo(other) is > 0;

    /// <summary>True when this serial comes after <paramref name="other"/> in RFC 1982 order.</summary>
    public bool IsAfter(Serial other) => other.DistanceTo(this) is > 0;

    public bool Equals(Serial other) => Value == other.Value;
    public override bool Equals(object? obj) => obj is Serial s && Equals(s);
    public override int GetHashCode() => (int)Value;
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static bool operator ==(Serial a, Serial b) => a.Value == b.Value;
    public static bool operator !=(Serial a, Serial b) => a.Value != b.Value;
    public static bool operator <(Serial a, Serial b) => a.IsBefore(b);
    public static bool operator >(Serial a, Serial b) => a.IsAfter(b);
    public static bool operator <=(Serial a, Serial b) => a == b || a.IsBefore(b);
    public static bool operator >=(Serial a, Serial b) => a == b || a.IsAfter(b);

    public static implicit operator Serial(uint value) => new(value);
}
