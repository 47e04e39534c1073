using System.Reflection;
using Ffn.Actors.Messages;
using Hyperion;

namespace Ffn.Actors.Cluster;

/// <summary>
/// The only types Hyperion may build from a message that arrives from another node: every concrete
/// <see cref="IFfnMessage"/> and, transitively, the types of their serialized fields, with collection interfaces
/// widened to the concrete collections that stand behind them. Hyperion creates objects without running their
/// constructors, so a type outside this list (a lock file's handle, a temporary folder that deletes itself) could be
/// made with any field values by whoever can reach the port; such a message is refused before its type is loaded.
/// </summary>
public static class MessageTypeAllowList
{
    private static readonly Assembly[] Ours = [typeof(IFfnMessage).Assembly, typeof(Ffn.Model.InputException).Assembly];

    /// <summary>The collections C# makes for a collection expression assigned to an interface ("[.. xs]" as an IReadOnlyList).</summary>
    private static readonly Type[] Synthesized = [.. Ours.SelectMany(a => a.GetTypes()).Where(t => t.IsGenericTypeDefinition && t.Name.StartsWith("<>z__", StringComparison.Ordinal) && t.GetGenericArguments().Length == 1)];

    public static IReadOnlySet<Type> Types()
    {
        var seen = new HashSet<Type>();
        var todo = new Queue<Type>(typeof(IFfnMessage).Assembly.GetTypes().Where(t => typeof(IFfnMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false }));
        while (todo.TryDequeue(out var t))
        {
            if (t.IsGenericParameter || !seen.Add(t)) continue;
            foreach (var next in Reached(t)) todo.Enqueue(next);
        }
        return seen;
    }

    /// <summary>The list as Hyperion's type filter, which every type name read from a message must pass.</summary>
    public static ITypeFilter Filter() => new NameFilter(Types());

    /// <summary>
    /// Hyperion 0.12 checks a type it writes by its full assembly-qualified name, and a name it reads in the short form
    /// its own TypeFilter keeps (no version, culture or key token), so that filter alone refuses every message sent.
    /// </summary>
    private sealed class NameFilter : ITypeFilter
    {
        private readonly Hyperion.TypeFilter _short;
        private readonly HashSet<string> _full;

        public NameFilter(IReadOnlySet<Type> types)
        {
            var builder = TypeFilterBuilder.Create();
            foreach (var t in types) builder.Include(t);
            _short = builder.Build();
            _full = [.. types.Select(t => t.AssemblyQualifiedName!)];
        }

        public bool IsAllowed(string typeName) => _full.Contains(typeName) || _short.IsAllowed(typeName);
    }

    private static IEnumerable<Type> Reached(Type t)
    {
        if (t.IsArray) return [t.GetElementType()!];
        var reached = new List<Type>();
        if (t.IsGenericType) reached.AddRange(t.GetGenericArguments());
        if (t.IsInterface && t.IsGenericType) reached.AddRange(Implementations(t));
        // Our own types are walked field by field (as Hyperion writes them); the framework's are leaves.
        if (Ours.Contains(t.Assembly) && !t.IsEnum)
            for (var c = t; c != null && c != typeof(object); c = c.BaseType)
                reached.AddRange(c.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                    .Where(f => !f.IsDefined(typeof(IgnoreAttribute))).Select(f => f.FieldType)); // Hyperion writes [NonSerialized] fields too
        return reached;
    }

    /// <summary>What a field declared as a collection interface holds at run time here: a list, an array or a collection expression's type; or a (sorted) dictionary and its entries.</summary>
    private static IEnumerable<Type> Implementations(Type face)
    {
        var args = face.GetGenericArguments();
        var def = face.GetGenericTypeDefinition();
        if (args.Length == 1 && (def == typeof(IReadOnlyList<>) || def == typeof(IReadOnlyCollection<>) || def == typeof(IList<>)
                                 || def == typeof(ICollection<>) || def == typeof(IEnumerable<>)))
            return [typeof(List<>).MakeGenericType(args), args[0].MakeArrayType(), .. Synthesized.Select(d => d.MakeGenericType(args)).Where(face.IsAssignableFrom)];
        if (args.Length == 2 && (def == typeof(IReadOnlyDictionary<,>) || def == typeof(IDictionary<,>)))
            // Hyperion writes a dictionary's entries by name: DictionaryEntry, or KeyValuePair for a sorted one.
            return [typeof(Dictionary<,>).MakeGenericType(args), typeof(SortedDictionary<,>).MakeGenericType(args),
                typeof(KeyValuePair<,>).MakeGenericType(args), typeof(System.Collections.DictionaryEntry)];
        return [];
    }
}
