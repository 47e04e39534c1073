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

    public static Vec3i ParseVec(string flag, string? text, bool positive = true)
    {
        if (text is null) throw new UsageException($"{flag}: a value z,y,x is required");
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
