namespace RtrCache.Rpki.Objects;

/// <summary>Internal control flow of the decoders: a rejection reason. Never escapes a public entry point.</summary>
internal sealed class RpkiDecodeException(string reason) : Exception(reason);

/// <summary>Runs a decoder body and turns every exception into a <see cref="Decoded{T}"/> rejection.</summary>
internal static class Decoding
{
    /// <summary>Files larger than this are rejected before parsing (rpki-client's limit).</summary>
    public const int MaxObjectSize = 8 * 1024 * 1024;

    public static Decoded<T> Run<T>(string what, ReadOnlyMemory<byte> input, Func<ReadOnlyMemory<byte>, T> body) where T : class
    {
        if (input.Length > MaxObjectSize)
            return Decoded<T>.Failure($"{what}: {input.Length} bytes, larger than the {MaxObjectSize}-byte limit");
        if (input.IsEmpty) return Decoded<T>.Failure($"{what}: empty file");
        try
        {
            return Decoded<T>.Success(body(input));
        }
        catch (RpkiDecodeException e)
        {
            return Decoded<T>.Failure(e.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Decoded<T>.Failure($"{what}: malformed ({e.GetType().Name}: {e.Message})");
        }
    }

    public static RpkiDecodeException Fail(string reason) => new(reason);
}
