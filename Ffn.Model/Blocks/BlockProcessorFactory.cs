using Ffn.Model.Inference;

namespace Ffn.Model.Blocks;

/// <summary>Makes a worker's processor for one run: how that run segments, and its run directory.</summary>
public delegate IBlockProcessor BlockProcessorFactory(SegmentationSettings settings, string runDir);
