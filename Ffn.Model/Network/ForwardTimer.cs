using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Ffn.Model.Network;

/// <summary>
/// Times forward passes of a network on FoV-shaped inputs, the way inference runs them (eval, no_grad, the same
/// <see cref="ForwardPass"/> with its precision, layout and CPU batch slices). Used by `ffn bench`; owned by one thread.
/// </summary>
public sealed class ForwardTimer : IDisposable
{
    private readonly ConvStack3D _model;
    private readonly Device _device;

    public ForwardTimer(ConvStack3D model, Device device, ForwardSettings? settings = null)
    {
        _model = model;
        _device = device;
        Settings = settings ?? ForwardSettings.Default;
        _model.to(device);
        ForwardPass.Prepare(_model, Settings);
        _model.eval();
    }

    public ForwardSettings Settings { get; }

    /// <summary>Runs <paramref name="count"/> forwards at the given batch size; returns milliseconds per forward.</summary>
    public double[] Time(int batch, int count)
    {
        var fov = _model.Config.FovSize;
        var times = new double[count];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn([batch, 2, fov.Z, fov.Y, fov.X]).to(_device);
        for (int i = 0; i < count; i++)
        {
            var sw = Stopwatch.StartNew();
            using (var inner = NewDisposeScope())
            {
                var y = ForwardPass.Run(_model, x, Settings);
                if (_device.type == DeviceType.CUDA) cuda.synchronize();
                _ = y.cpu().data<float>()[0]; // include the copy out, as inference does
            }
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        return times;
    }

    public void Dispose() => _model.Dispose();
}
