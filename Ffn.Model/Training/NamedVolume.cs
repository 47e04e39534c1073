using Ffn.Model.Volumes;

namespace Ffn.Model.Training;

/// <summary>
/// One entry of --data-volumes / --label-volumes: <c>NAME:PATH.h5:dataset</c> as google/ffn names them, or a lone
/// <c>PATH.h5:dataset</c> (FFN-PyTorch's form) whose name is empty and which serves every coordinate.
/// </summary>
public sealed record NamedVolume(string Name, VolumeSpec Spec)
{
    /// <exception cref="InputException">an empty list, or an entry that is not a volume spec.</exception>
    public static IReadOnlyList<NamedVolume> ParseList(string? text, string flag)
    {
        var items = (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length == 0) throw new InputException($"{flag}: NAME:PATH.h5:dataset[,...] (or one PATH.h5:dataset) is required");
        var result = new List<NamedVolume>();
        foreach (var item in items)
        {
            try
            {
                result.Add(items.Length == 1 && !HasName(item) ? new NamedVolume("", VolumeSpec.Parse(item)) : ParseNamed(item));
            }
            catch (VolumeException e)
            {
                throw new InputException($"{flag} '{item}': {e.Message}", e);
            }
        }
        var dup = result.GroupBy(v => v.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new InputException($"{flag}: volume name '{dup.Key}' given twice");
        return result;
    }

    /// <summary>A name precedes the path when the text before the first ':' is not itself a volume file.</summary>
    private static bool HasName(string item)
    {
        int colon = item.IndexOf(':');
        if (colon <= 0) return false;
        try
        {
            VolumeSpec.FormatOf(item[..colon]);
            return false;
        }
        catch (VolumeException)
        {
            return true;
        }
    }

    private static NamedVolume ParseNamed(string item)
    {
        int colon = item.IndexOf(':');
        if (colon <= 0 || colon == item.Length - 1) throw new VolumeException("expected NAME:PATH.h5:dataset");
        return new NamedVolume(item[..colon].Trim(), VolumeSpec.Parse(item[(colon + 1)..].Trim()));
    }

    public override string ToString() => Name.Length == 0 ? Spec.ToString() : $"{Name}:{Spec}";
}
