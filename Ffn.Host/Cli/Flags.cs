using System.CommandLine;
using Ffn.Model.Geometry;

namespace Ffn.Host.Cli;

/// <summary>
/// Builds options whose default comes from HOCON key <c>ffn.&lt;section&gt;.&lt;flag&gt;</c>, and parses flag values
/// with errors that name the flag.
/// </summary>
public static class Flags
{
    public static Option<T> Make<T>(CommandContext ctx, string section, string name, string description, params string[] aliases)
    {
        var key = $"ffn.{section}.{name.TrimStart('-')}";
        var opt = new Option<T>(name, aliases) { Description = description };
        if (ctx.Config.Has(key))
        {
            var value = ctx.Config.Get<T>(key);
            if (value is double d && !float.IsFinite((float)d))
                throw new UsageException($"config key {key}: must be a finite float32 number, got {d}");
            opt.DefaultValueFactory = _ => value;
        }
        // NaN passes every range check written as a comparison; a float setting is refused here, for every command.
        if (typeof(T) == typeof(double) || typeof(T) == typeof(double?))
            opt.Validators.Add(result =>
            {
                if (result.Implicit || result.Tokens.Count == 0) return;
                if (result.GetValueOrDefault<T>() is double v && !float.IsFinite((float)v))
                    result.AddError(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name} must be a finite float32 number, got {result.Tokens[0].Value}"));
            });
        return opt;
    }

    /// <summary>The value of a flag the command cannot run without; a missing or blank one is "FLAG: WHAT is required".</summary>
    public static string Required(ParseResult r, Option<string> option, string what) =>
        r.GetValue(option) is { } v && !string.IsNullOrWhiteSpace(v) ? v : throw Missing(option.Name, what);

    public static UsageException Missing(string flag, string what) => new($"{flag}: {what} is required");

    /// <summary>A whole number that must be at least <paramref name="min"/>: "FLAG must be >= MIN, got VALUE" otherwise.</summary>
    public static int AtLeast(string flag, int value, int min = 1) =>
        value >= min ? value : throw new UsageException($"{flag} must be >= {min}, got {value}");

    public static int AtLeast(ParseResult r, Option<int> option, int min = 1) => AtLeast(option.Name, r.GetValue(option), min);

    /// <summary>
    /// The choice a flag's value names, matched case-insensitively; anything else is "FLAG VALUE: expected a, b or c"
    /// (then <paramref name="hint"/>, if given).
    /// </summary>
    public static T Choice<T>(string flag, string? value, IReadOnlyList<(string Name, T Value)> choices, string? hint = null)
    {
        foreach (var (name, v) in choices)
            if (string.Equals(name, value, StringComparison.OrdinalIgnoreCase)) return v;
        throw new UsageException($"{flag} {value}: expected {OneOf(choices.Select(c => c.Name).ToList())}{(hint is null ? "" : " " + hint)}");
    }

    /// <summary>"a", "a or b", "a, b or c".</summary>
    public static string OneOf(IReadOnlyList<string> names) =>
        names.Count < 2 ? string.Join("", names) : $"{string.Join(", ", names.Take(names.Count - 1))} or {names[^1]}";

    public static Vec3i ParseVec(string flag, string? text, bool positive = true)
    {
        if (text is null) throw Missing(flag, "a value z,y,x");
        Vec3i v;
        try
        {
            v = Vec3i.Parse(text);
        }
        catch (FormatException e)
        {
            throw new UsageException($"{flag}: {e.Message}");
        }
        if (positive && !v.AllPositive) throw new UsageException($"{flag}: every component must be positive, got {text}");
        return v;
    }
}
