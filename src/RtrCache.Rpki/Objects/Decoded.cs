using System.Diagnostics.CodeAnalysis;

namespace RtrCache.Rpki.Objects;

/// <summary>
/// The outcome of decoding an RPKI object: the object, or the reason it was rejected. Decoders never throw; a
/// rejection is a value the caller logs and counts.
/// </summary>
public readonly struct Decoded<T> where T : class
{
    private Decoded(T? value, string? error)
    {
        Value = value;
        Error = error;
    }

    /// <summary>The decoded object when <see cref="IsSuccess"/>.</summary>
    public T? Value { get; }

    /// <summary>Why the input was rejected when not <see cref="IsSuccess"/>.</summary>
    public string? Error { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Value is not null;

    public static Decoded<T> Success(T value) => new(value ?? throw new ArgumentNullException(nameof(value)), null);
    public static Decoded<T> Failure(string reason) => new(null, string.IsNullOrEmpty(reason) ? "rejected" : reason);

    /// <summary>Converts the value (on success) or carries the reason over (on failure).</summary>
    public Decoded<TOut> Select<TOut>(Func<T, TOut> map) where TOut : class
        => IsSuccess ? Decoded<TOut>.Success(map(Value)) : Decoded<TOut>.Failure(Error);

    /// <summary>The value, or an <see cref="InvalidOperationException"/> carrying the reason (for tests and tools).</summary>
    public T GetValueOrThrow() => IsSuccess ? Value : throw new InvalidOperationException(Error);

    public override string ToString() => IsSuccess ? $"ok: {Value}" : $"rejected: {Error}";
}

/// <summary>Factory helpers for <see cref="Decoded{T}"/>.</summary>
public static class Decoded
{
    public static Decoded<T> Success<T>(T value) where T : class => Decoded<T>.Success(value);
    public static Decoded<T> Failure<T>(string reason) where T : class => Decoded<T>.Failure(reason);
}
