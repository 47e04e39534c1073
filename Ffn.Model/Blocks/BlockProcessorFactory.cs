using Ffn.Model.Inference;

namespace Ffn.Model.Blocks;

/// <summary>Makes a worker's processor for one run: how that run segments, its run directory, the worker's device (cpu, cuda:N).</summary>
public delegate IBlockProcessor BlockProcessorFactory(SegmentationSettings settings, string runDir, string device);
