using Akka.Configuration.Hocon;
using Ffn.Host.Cli;

namespace Ffn.Host.Config;

/// <summary>
/// The keys a --config file may set under <c>ffn</c>: those of the embedded ffn.conf, null defaults included. A
/// misspelt key would otherwise be ignored and its flag keep the default. Keys outside <c>ffn</c> (akka.*) belong to
/// the actor system and are not checked here.
/// </summary>
public static class ConfigKeys
{
    public static void Check(HoconValue user, HoconValue defaults, string file)
    {
        if (!user.IsObject() || !user.GetObject().Items.TryGetValue("ffn", out var ffn)) return;
        var known = new Dictionary<string, bool>(); // path -> is a section
        Collect(defaults.GetObject().Items["ffn"], "ffn", known);
        Check(ffn, "ffn", known, file);
    }

    private static void Collect(HoconValue value, string path, Dictionary<string, bool> known)
    {
        known[path] = value.IsObject();
        if (value.IsObject())
            foreach (var (key, child) in value.GetObject().Items) Collect(child, $"{path}.{key}", known);
    }

    private static void Check(HoconValue value, string path, Dictionary<string, bool> known, string file)
    {
        bool section = value.IsObject();
        if (known.TryGetValue(path, out var knownSection) && knownSection != section)
            throw new UsageException($"--config {file}: {path} " + (knownSection ? "is a section of keys, not a value" : "takes a value, not a section of keys"));
        // An unknown section is reported at its first key, where the nearest known key is most telling.
        if (section && value.GetObject().Items.Count > 0)
        {
            foreach (var (key, child) in value.GetObject().Items) Check(child, $"{path}.{key}", known, file);
            return;
        }
        if (!known.ContainsKey(path))
            throw new UsageException($"--config {file}: unknown key {path} (did you mean {Nearest(path, known.Where(k => !k.Value).Select(k => k.Key))}?)");
    }

    private static string Nearest(string key, IEnumerable<string> candidates) => candidates.MinBy(c => EditDistance(key, c))!;

    /// <summary>Levenshtein distance: insertions, deletions and substitutions.</summary>
    private static int EditDistance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
