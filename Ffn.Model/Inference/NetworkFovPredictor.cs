using Ffn.Model.Geometry;
using Ffn.Model.Network;
using TorchSharp;
using static TorchSharp.torch;

namespace Ffn.Model.Inference;

/// <summary>Runs the network for one FoV: eval mode, no autograd, all intermediates disposed within the call.</summary>
public sealed class NetworkFovPredictor : IFovPredictor, IDisposable
{
    private readonly ConvStack3D _model;
    private readonly Device _device;
    private readonly float[] _input;

    public NetworkFovPredictor(ConvStack3D model, Device device)
    {
        _model = model;
        _device = device;
        _model.to(device);
        _model.eval();
        FovSize = model.Config.FovSize;
        _input = new float[2 * FovSize.Product];
    }

    public Vec3i FovSize { get; }

    public void Predict(ReadOnlySpan<float> image, ReadOnlySpan<float> seed, Span<float> logits)
    {
        int n = (int)FovSize.Product;
        image.CopyTo(_input.AsSpan(0, n));
        seed.CopyTo(_input.AsSpan(n, n));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = tensor(_input, [1, 2, FovSize.Z, FovSize.Y, FovSize.X]).to(_device);
        var update = _model.forward(x).cpu();
        update.data<float>().ToArray().AsSpan().CopyTo(logits);
        // Google's graph returns seed + update in float32.
        for (int i = 0; i < n; i++) logits[i] += seed[i];
    }

    public void PredictBatch(float[][] images, float[][] seeds, float[][] logits)
    {
        int n = (int)FovSize.Product, b = images.Length;
        var input = new float[2L * n * b];
        for (int k = 0; k < b; k++)
        {
            images[k].CopyTo(input, 2L * n * k);
            seeds[k].CopyTo(input, 2L * n * k + n);
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = tensor(input, [b, 2, FovSize.Z, FovSize.Y, FovSize.X]).to(_device);
        var update = _model.forward(x).cpu().data<float>().ToArray();
        for (int k = 0; k < b; k++)
            for (int i = 0; i < n; i++) logits[k][i] = update[(long)k * n + i] + seeds[k][i];
    }

    public void Dispose() => _model.Dispose();
}
