using TorchSharp;
using static TorchSharp.torch;

namespace Ffn.Model.Network;

/// <summary>
/// Runs a network for inference: eval mode, no autograd, every intermediate disposed within the call, in the
/// precision and layout of its <see cref="ForwardSettings"/> (float32 in and out whatever they are). Takes and
/// returns managed arrays so that no tensor escapes Ffn.Model. Owned by one thread (TorchSharp's dispose scopes
/// are per thread).
/// </summary>
public sealed class Predictor : IDisposable
{
    private readonly ConvStack3D _model;

    public Predictor(ConvStack3D model, Device device, ForwardSettings? settings = null)
    {
        Device = device;
        Settings = settings ?? ForwardSettings.Default;
        _model = model;
        _model.to(device);
        ForwardPass.Prepare(_model, Settings);
        _model.eval();
    }

    public Device Device { get; }
    public ForwardSettings Settings { get; }
    public ModelConfig Config => _model.Config;

    /// <summary>Forward pass on [n, 2, z, y, x] float32 data; returns the [n, 1, z, y, x] logit update.</summary>
    public float[] Forward(float[] input, long[] shape)
    {
        if (shape.Length != 5 || shape[1] != 2)
            throw new InputException($"network input must be [n, 2, z, y, x] (image, seed), got [{string.Join(", ", shape)}]");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = tensor(input, shape).to(Device);
        var y = ForwardPass.Run(_model, x, Settings);
        return y.cpu().data<float>().ToArray();
    }

    public void Dispose() => _model.Dispose();
}
