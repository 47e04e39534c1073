namespace Ffn.Host.Cli;

/// <summary>A flag whose value is one of a few words: matched case-insensitively, refused with the words it takes.</summary>
public static class Choice
{
    public static T Parse<T>(string flag, string? value, params (string Word, T Value)[] choices)
    {
        foreach (var (word, v) in choices)
            if (string.Equals(word, value?.Trim(), StringComparison.OrdinalIgnoreCase)) return v;
        var words = choices.Select(c => c.Word).ToArray();
        var list = words.Length == 1 ? words[0] : string.Join(", ", words[..^1]) + " or " + words[^1];
        throw new UsageException($"{flag} {value}: expected {list}");
    }
}
