using Ffn.Model.Volumes;

namespace Ffn.Model.Synthetic;

/// <summary>A synthetic EM image with its ground truth: <c>raw</c> (uint8) and <c>labels</c> (uint32, 0 = membrane/background).</summary>
public sealed record SynthVolume(Volume<byte> Raw, Volume<uint> Labels, int ObjectCount);
