using System.Text.Json;
using RtrCache.Host.Api;
using RtrCache.Host.Serving.Persistence;
using RtrCache.Rtr.Cache;

namespace RtrCache.Host.Serving;

/// <summary>
/// The <c>safeguards</c> section of <c>GET /api/v1/status</c>: readiness with its reason (the same text as
/// <c>/readyz</c>), the last successful update round, the shrink guard (limit, what it holds back) and the
/// state file (path, last save or load). An operator sees in one document why the cache is not ready and what
/// accepting a shrink would publish.
/// </summary>
public sealed class SafeguardsStatus(ServeSettings settings, SnapshotStore store, ServingState serving, StateStore state) : IStatusContributor
{
    public string Name => "safeguards";

    public void WriteSection(Utf8JsonWriter writer, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var facts = serving.Current;
        var readiness = Readiness.Evaluate(store.Current, facts, now, settings.EffectiveMaxStaleness);
        writer.WriteStartObject();

        writer.WriteStartObject("readiness");
        writer.WriteBoolean("ready", readiness.Ready);
        writer.WriteString("reason", readiness.Text);
        writer.WriteNumber("maxStalenessSeconds", settings.EffectiveMaxStaleness.TotalSeconds);
        if (facts.LastSuccessfulRun is { } last) writer.WriteString("lastSuccessfulRun", last.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
        else writer.WriteNull("lastSuccessfulRun");
        writer.WriteBoolean("restoredFromSavedState", facts.Restored);
        writer.WriteEndObject();

        writer.WriteStartObject("shrinkGuard");
        writer.WriteNumber("limitPercent", settings.ShrinkLimit);
        writer.WriteBoolean("acceptAlways", settings.AcceptShrink);
        writer.WriteBoolean("acceptEndpointEnabled", settings.EnableAdminApi);
        if (facts.Hold is { } hold)
        {
            writer.WriteStartObject("held");
            writer.WriteString("reason", hold.Reason);
            writer.WriteNumber("servingSerial", hold.Serving.Value);
            writer.WriteString("since", hold.Since.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteNumber("heldVrps", hold.Held.VrpCount);
            writer.WriteNumber("heldAspas", hold.Held.AspaCount);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("held");
        }
        writer.WriteEndObject();

        writer.WriteStartObject("persistence");
        writer.WriteString("path", state.FilePath);
        if (state.Last is { } outcome)
        {
            writer.WriteString("last", outcome.Action);
            writer.WriteNumber("serial", outcome.Serial);
            writer.WriteString("at", outcome.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteNumber("bytes", outcome.Bytes);
            if (outcome.Error is null) writer.WriteNull("error");
            else writer.WriteString("error", outcome.Error);
        }
        else
        {
            writer.WriteNull("last");
        }
        writer.WriteEndObject();

        writer.WriteEndObject();
    }
}
