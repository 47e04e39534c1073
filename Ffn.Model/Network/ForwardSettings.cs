namespace Ffn.Model.Network;

/// <summary>
/// How a forward pass is laid out on the device: the number format (<see cref="Precision"/>), whether activations
/// are kept channels-last (NDHWC strides, which oneDNN runs without reordering to and from its blocked layout at
/// every convolution), and how many FoVs of a batch go through the network at once on a CPU (0 = the whole batch).
/// Channels-last is the default: on a Zen 5 EPYC, ONEDNN_VERBOSE showed the NCDHW path reordering every
/// activation in and out of each convolution and its blocked kernel running ~2.5x slower per FoV at batch 4.
/// </summary>
public sealed record ForwardSettings
{
    public static readonly ForwardSettings Default = new();

    public Precision Precision { get; init; } = Precision.Fp32;
    public bool ChannelsLast { get; init; } = true;

    /// <summary>
    /// FoVs per network call on a CPU (feature maps are 4.6 MB per 33^3 FoV, so a batch may outgrow the caches).
    /// Measured no faster than whole batches once activations are channels-last; kept as a setting to measure on
    /// other CPUs. Ignored on CUDA, where the whole batch is one call.
    /// </summary>
    public int CpuBatchSlice { get; init; }

    public void Validate()
    {
        if (CpuBatchSlice < 0) throw new InputException($"--cpu-batch-slice must be >= 0, got {CpuBatchSlice}");
    }

    public override string ToString() => $"{Precision.Name()}{(ChannelsLast ? ", channels-last" : "")}{(CpuBatchSlice > 0 ? $", CPU batch slice {CpuBatchSlice}" : "")}";
}
