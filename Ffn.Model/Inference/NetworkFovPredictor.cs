using Ffn.Model.Geometry;
using Ffn.Model.Network;
using static TorchSharp.torch;

namespace Ffn.Model.Inference;

/// <summary>FoV steps through the network's <see cref="Predictor"/>; adds the seed to the update as Google's graph does.</summary>
public sealed class NetworkFovPredictor : IFovPredictor, IDisposable
{
    private readonly Predictor _net;
    private float[] _input = [];

    public NetworkFovPredictor(ConvStack3D model, Device device, ForwardSettings? settings = null)
    {
        _net = new Predictor(model, device, settings);
        FovSize = model.Config.FovSize;
    }

    public Vec3i FovSize { get; }

    public void Predict(ReadOnlySpan<float> image, ReadOnlySpan<float> seed, Span<float> logits)
    {
        int n = (int)FovSize.Product;
        var input = Input(1);
        image.CopyTo(input.AsSpan(0, n));
        seed.CopyTo(input.AsSpan(n, n));
        var update = _net.Forward(input, Shape(1));
        for (int i = 0; i < n; i++) logits[i] = update[i] + seed[i];
    }

    public void PredictBatch(float[][] images, float[][] seeds, float[][] logits)
    {
        int n = (int)FovSize.Product, b = images.Length;
        var input = Input(b);
        for (int k = 0; k < b; k++)
        {
            images[k].CopyTo(input, 2L * n * k);
            seeds[k].CopyTo(input, 2L * n * k + n);
        }
        var update = _net.Forward(input, Shape(b));
        for (int k = 0; k < b; k++)
            for (int i = 0; i < n; i++) logits[k][i] = update[(long)k * n + i] + seeds[k][i];
    }

    private float[] Input(int batch)
    {
        long length = 2L * FovSize.Product * batch;
        if (_input.LongLength != length) _input = new float[length];
        return _input;
    }

    private long[] Shape(int batch) => [batch, 2, FovSize.Z, FovSize.Y, FovSize.X];

    public void Dispose() => _net.Dispose();
}
