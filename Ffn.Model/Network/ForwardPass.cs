using TorchSharp;
using static TorchSharp.torch;

namespace Ffn.Model.Network;

/// <summary>
/// One inference forward as <see cref="Predictor"/> and <see cref="ForwardTimer"/> both run it: the float32 input
/// cast to the network's precision and layout, the batch cut into CPU slices, and float32 logits back.
/// </summary>
public static class ForwardPass
{
    /// <summary>Casts <paramref name="model"/>'s weights to the settings' precision (once, before the first forward).</summary>
    public static void Prepare(ConvStack3D model, ForwardSettings settings)
    {
        settings.Validate();
        if (settings.Precision != Precision.Fp32) model.to(settings.Precision.ScalarType());
    }

    /// <summary>[n, 2, z, y, x] float32 on the model's device in, [n, 1, z, y, x] contiguous float32 out.</summary>
    public static Tensor Run(ConvStack3D model, Tensor input, ForwardSettings settings)
    {
        long n = input.shape[0];
        int slice = settings.CpuBatchSlice;
        if (input.device_type != DeviceType.CPU || slice <= 0 || slice >= n) return Once(model, input, settings);
        var parts = new List<Tensor>();
        for (long start = 0; start < n; start += slice)
        {
            using var part = input.narrow(0, start, Math.Min(slice, n - start));
            parts.Add(Once(model, part, settings));
        }
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }

    private static Tensor Once(ConvStack3D model, Tensor input, ForwardSettings settings)
    {
        using var scope = NewDisposeScope();
        var x = input.to(settings.Precision.ScalarType());
        // TorchSharp has no memory_format argument; a tensor permuted to NDHWC and made contiguous has the
        // channels-last-3d strides libtorch's oneDNN convolutions recognise, and they carry through the network.
        if (settings.ChannelsLast) x = x.permute(0, 2, 3, 4, 1).contiguous().permute(0, 4, 1, 2, 3);
        var y = model.forward(x).to(ScalarType.Float32).contiguous();
        return scope.MoveToOuter(y);
    }
}
