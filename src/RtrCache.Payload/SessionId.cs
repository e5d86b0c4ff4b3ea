namespace RtrCache.Payload;

/// <summary>
/// Names one serial-number space of the cache. A router that sees a different Session ID knows the serials it
/// holds mean nothing here and must reset, so a new value is taken whenever continuity of the data is lost
/// (a restart without persisted state) and the value is kept as long as continuity holds.
/// </summary>
public readonly record struct SessionId(ushort Value)
{
    /// <summary>A fresh random Session ID, for a cache start without persisted state.</summary>
    public static SessionId NewRandom() => new((ushort)System.Security.Cryptography.RandomNumberGenerator.GetInt32(0, 65536));

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
