using RtrCache.Payload;
using RtrCache.Rtr.Protocol;

namespace RtrCache.Testing;

/// <summary>
/// What a strict router holds from one cache: applies payload PDUs the way 8210bis requires a router to, and
/// fails loudly on anything a real router would reject (duplicate announcement, withdrawal of an unknown
/// record, ASPA withdrawal of an unknown customer, payload a version cannot carry).
/// </summary>
public sealed class RouterModel
{
    private readonly HashSet<Vrp> _vrps = [];
    private readonly HashSet<RouterKey> _keys = [];
    private readonly Dictionary<uint, uint[]> _aspas = [];

    public IReadOnlyCollection<Vrp> Vrps => _vrps;
    public IReadOnlyCollection<RouterKey> RouterKeys => _keys;
    public IReadOnlyDictionary<uint, uint[]> Aspas => _aspas;

    public void Clear()
    {
        _vrps.Clear();
        _keys.Clear();
        _aspas.Clear();
    }

    /// <summary>Applies one payload PDU; throws <see cref="InvalidDataException"/> on a protocol violation.</summary>
    public void Apply(in RtrPdu pdu)
    {
        switch (pdu.Type)
        {
            case PduType.Ipv4Prefix:
            case PduType.Ipv6Prefix:
                if (pdu.Announce ? !_vrps.Add(pdu.Vrp) : !_vrps.Remove(pdu.Vrp))
                    throw new InvalidDataException(pdu.Announce ? $"duplicate announcement {pdu.Vrp}" : $"withdrawal of unknown {pdu.Vrp}");
                break;
            case PduType.RouterKey:
                if (pdu.Version == 0) throw new InvalidDataException("Router Key in a v0 session");
                if (pdu.Announce ? !_keys.Add(pdu.RouterKey!) : !_keys.Remove(pdu.RouterKey!))
                    throw new InvalidDataException(pdu.Announce ? $"duplicate announcement {pdu.RouterKey}" : $"withdrawal of unknown {pdu.RouterKey}");
                break;
            case PduType.Aspa:
                if (pdu.Version < 2) throw new InvalidDataException("ASPA in a v0/v1 session");
                if (pdu.Announce) _aspas[pdu.AspaCustomer] = pdu.AspaProviders!;
                else if (!_aspas.Remove(pdu.AspaCustomer)) throw new InvalidDataException($"ASPA withdrawal of unknown customer AS{pdu.AspaCustomer}");
                break;
            default:
                throw new InvalidDataException($"{pdu.Type} is not a payload PDU");
        }
    }

    /// <summary>The held data as a payload set, for comparison with what the cache serves.</summary>
    public PayloadSet ToPayloadSet()
        => PayloadSet.Create(_vrps, _keys, _aspas.Select(a => Aspa.Create(a.Key, a.Value)));
}
