using System.Diagnostics.CodeAnalysis;

namespace RtrCache.Payload.Slurm;

/// <summary>
/// The outcome of parsing one SLURM file: the file, or an error naming the file, the member path and the value.
/// An operator's edit mistake must not take the cache down, so parsing never throws for bad input; the caller
/// keeps the previous good configuration and logs <see cref="Error"/>.
/// </summary>
public sealed class SlurmParseResult
{
    private SlurmParseResult(SlurmFile? file, string? error)
    {
        File = file;
        Error = error;
    }

    internal static SlurmParseResult Ok(SlurmFile file) => new(file, null);
    internal static SlurmParseResult Failed(string error) => new(null, error);

    public SlurmFile? File { get; }

    /// <summary>E.g. <c>local.json: validationOutputFilters.prefixFilters[2].prefix: '192.0.2.1/24' has host bits set</c>.</summary>
    public string? Error { get; }

    [MemberNotNullWhen(true, nameof(File))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Success => File is not null;

    public override string ToString() => Success ? File.ToString() : Error;
}
