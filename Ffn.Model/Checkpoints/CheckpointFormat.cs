namespace Ffn.Model.Checkpoints;

public enum CheckpointFormat
{
    /// <summary>A zip-based torch.save of a state_dict (.pkl/.pt/.pth): ours or FFN-PyTorch's.</summary>
    PyTorch,

    /// <summary>A TensorFlow checkpoint V2 (prefix with .index and .data-* files): Google's.</summary>
    TensorFlow,
}
