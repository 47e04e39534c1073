namespace Ffn.Model.Runtime;

/// <summary>When the kernel self-check runs: auto (once per CPU and libtorch, then cached), always, never.</summary>
public enum SelfCheckMode
{
    Auto,
    Always,
    Never,
}

public static class SelfCheckModes
{
    /// <summary>Parses; <paramref name="what"/> names where the text came from in the error (a flag with its value).</summary>
    public static SelfCheckMode Parse(string text, string what) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => SelfCheckMode.Auto,
        "always" => SelfCheckMode.Always,
        "never" => SelfCheckMode.Never,
        _ => throw new InputException($"{what}: expected always, auto or never"),
    };
}
