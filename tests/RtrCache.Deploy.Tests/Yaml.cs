using YamlDotNet.RepresentationModel;

namespace RtrCache.Deploy.Tests;

/// <summary>
/// Multi-document YAML as plain values (mappings → <see cref="Dictionary{TKey,TValue}"/>, sequences →
/// <see cref="List{T}"/>, scalars → string), which is all the manifest checks need and keeps them independent
/// of any Kubernetes object model. Parsing uses YamlDotNet so a file kubectl would reject fails here too.
/// </summary>
internal static class Yaml
{
    public static List<Dictionary<string, object?>> LoadAll(string text, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new AssertionException($"{source}: not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.Message}");
        }
        var result = new List<Dictionary<string, object?>>();
        foreach (var doc in stream.Documents)
        {
            if (doc.RootNode is YamlScalarNode { Value: null or "" }) continue;
            if (Convert(doc.RootNode) is not Dictionary<string, object?> map)
                throw new AssertionException($"{source}: a document that is not a mapping at line {doc.RootNode.Start.Line}");
            result.Add(map);
        }
        return result;
    }

    public static List<Dictionary<string, object?>> LoadFile(string path) => LoadAll(File.ReadAllText(path), path);

    private static object? Convert(YamlNode node) => node switch
    {
        YamlMappingNode m => m.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value ?? "", kv => Convert(kv.Value), StringComparer.Ordinal),
        YamlSequenceNode s => s.Children.Select(Convert).ToList(),
        YamlScalarNode { Value: "~" or "null", Style: YamlDotNet.Core.ScalarStyle.Plain } => null,
        YamlScalarNode sc => sc.Value,
        _ => null,
    };

    /// <summary>The value at a path of mapping keys, or null.</summary>
    public static object? Get(object? node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not Dictionary<string, object?> map || !map.TryGetValue(key, out node)) return null;
        }
        return node;
    }

    public static string? Str(object? node, params string[] path) => Get(node, path) as string;

    public static Dictionary<string, object?> Map(object? node, params string[] path)
        => Get(node, path) as Dictionary<string, object?> ?? new Dictionary<string, object?>(StringComparer.Ordinal);

    public static List<object?> List(object? node, params string[] path) => Get(node, path) as List<object?> ?? [];

    public static IEnumerable<Dictionary<string, object?>> Maps(object? node, params string[] path) => List(node, path).OfType<Dictionary<string, object?>>();

    /// <summary>A deep copy, so a render can change objects without touching what was loaded.</summary>
    public static object? Clone(object? node) => node switch
    {
        Dictionary<string, object?> m => m.ToDictionary(kv => kv.Key, kv => Clone(kv.Value), StringComparer.Ordinal),
        List<object?> l => l.Select(Clone).ToList(),
        _ => node,
    };
}

/// <summary>One Kubernetes object of a manifest set.</summary>
internal sealed record K8sObject(string Kind, string Name, Dictionary<string, object?> Body, string Source)
{
    public static K8sObject From(Dictionary<string, object?> body, string source)
        => new(Yaml.Str(body, "kind") ?? "", Yaml.Str(body, "metadata", "name") ?? "", body, source);

    public override string ToString() => $"{Kind}/{Name} ({Source})";
}
