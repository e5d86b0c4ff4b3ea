namespace RtrCache.Payload.Slurm;

/// <summary>
/// The payload after local exceptions, with counts of what the exceptions did. The counts exist for metrics and
/// logs: an operator who sees "0 VRPs filtered" after adding a filter knows the filter does not match.
/// </summary>
/// <param name="Set">The resulting payload (the input instance itself when nothing changed).</param>
/// <param name="VrpsFiltered">RPKI VRPs removed by prefix filters.</param>
/// <param name="VrpsAdded">Asserted VRPs that were not already in the filtered set (net additions).</param>
/// <param name="RouterKeysFiltered">Router keys removed by BGPsec filters.</param>
/// <param name="RouterKeysAdded">Asserted router keys that were not already in the filtered set.</param>
/// <param name="AspasFiltered">Customers whose RPKI ASPA record was removed by an ASPA filter.</param>
/// <param name="AspasAdded">Customers that have an ASPA record only because of an assertion.</param>
/// <param name="AspasExtended">Customers whose remaining RPKI provider set an assertion changed (union).</param>
public sealed record SlurmApplyResult(
    PayloadSet Set,
    int VrpsFiltered,
    int VrpsAdded,
    int RouterKeysFiltered,
    int RouterKeysAdded,
    int AspasFiltered,
    int AspasAdded,
    int AspasExtended);
