using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Ffn.Model.Network;

/// <summary>
/// Times forward passes of a network on FoV-shaped inputs, the way inference runs them (eval, no_grad), optionally
/// in bfloat16. Used by `ffn bench forward`; owned by one thread.
/// </summary>
public sealed class ForwardTimer : IDisposable
{
    private readonly ConvStack3D _model;
    private readonly Device _device;
    private readonly ScalarType _dtype;

    public ForwardTimer(ConvStack3D model, Device device, bool bfloat16 = false)
    {
        _model = model;
        _device = device;
        _dtype = bfloat16 ? ScalarType.BFloat16 : ScalarType.Float32;
        _model.to(device);
        if (bfloat16) _model.to(ScalarType.BFloat16);
        _model.eval();
    }

    /// <summary>Runs <paramref name="count"/> forwards at the given batch size; returns milliseconds per forward.</summary>
    public double[] Time(int batch, int count)
    {
        var fov = _model.Config.FovSize;
        var times = new double[count];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn([batch, 2, fov.Z, fov.Y, fov.X]).to(_device).to(_dtype);
        for (int i = 0; i < count; i++)
        {
            var sw = Stopwatch.StartNew();
            using (var inner = NewDisposeScope())
            {
                var y = _model.forward(x);
                if (_device.type == DeviceType.CUDA) cuda.synchronize();
                _ = y.cpu().to(ScalarType.Float32).data<float>()[0]; // include the copy out, as inference does
            }
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        return times;
    }

    public void Dispose() => _model.Dispose();
}
