using Ffn.Model.Stitching;

namespace Ffn.Model.Blocks;

/// <summary>A run's settings as summary.json records them: the manifest's fields, the workers, the merge, the device.</summary>
public sealed record RunSettings(IReadOnlyDictionary<string, string> Manifest, int Workers, MergeOptions Merge, string Device);
