using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ffn.Model.Network;

/// <summary>
/// Google's convstack_3d FFN (semantics of google/ffn ffn/training/models/convstack_3d.py) and FFN-PyTorch's
/// variant of it (see <see cref="NetworkVariant"/>). Input [n, 2, z, y, x] = [image, seed logits]; output
/// [n, 1, z, y, x], the logit update. All 3x3x3 convs use 'same' zero padding.
/// Parameter names follow Google's layer names (conv0_a, conv0_b, conv{i}_a, conv{i}_b, conv_lom), which are the
/// checkpoint contract; <see cref="Checkpoints.CheckpointNames"/> maps them to FFN-PyTorch's net.N keys.
/// </summary>
public sealed class ConvStack3D : nn.Module<Tensor, Tensor>
{
    private readonly Conv3d _conv0A, _conv0B, _convLom;
    private readonly Conv3d[] _convA, _convB;
    private readonly bool _reluFirst, _reluInside;

    /// <param name="initSeed">
    /// Seeds the initial weights from a generator of their own, so the same seed gives the same network even while
    /// other threads draw from libtorch's global generator; null draws from the global one.
    /// </param>
    public ConvStack3D(ModelConfig config, long? initSeed = null) : base("ConvStack3D")
    {
        config.Validate();
        Config = config;
        int f = config.Features;
        _reluFirst = config.Architecture.ReluAfterFirstConv();
        _reluInside = config.Architecture.ReluInsideResidual();
        _conv0A = nn.Conv3d(2, f, 3, padding: 1);
        _conv0B = nn.Conv3d(f, f, 3, padding: 1);
        register_module("conv0_a", _conv0A);
        register_module("conv0_b", _conv0B);
        _convA = new Conv3d[config.Depth - 1];
        _convB = new Conv3d[config.Depth - 1];
        for (int i = 1; i < config.Depth; i++)
        {
            _convA[i - 1] = nn.Conv3d(f, f, 3, padding: 1);
            _convB[i - 1] = nn.Conv3d(f, f, 3, padding: 1);
            register_module($"conv{i}_a", _convA[i - 1]);
            register_module($"conv{i}_b", _convB[i - 1]);
        }
        _convLom = nn.Conv3d(f, 1, 1);
        register_module("conv_lom", _convLom);
        using var generator = initSeed is { } s ? new Generator(unchecked((ulong)s)) : null;
        InitializeLikeGoogle(generator);
    }

    public ModelConfig Config { get; }

    public override Tensor forward(Tensor input)
    {
        // Intermediates are disposed as soon as they are consumed: a batch of 33^3 FoVs holds ~4.6 MB per
        // feature map per example, and a dispose scope at the caller would keep all ~25 of them alive.
        var h = _conv0A.forward(input);
        if (_reluFirst) Swap(ref h, nn.functional.relu(h));
        Swap(ref h, _conv0B.forward(h));
        for (int i = 0; i < _convA.Length; i++)
        {
            using var r0 = nn.functional.relu(h);
            var r = _convA[i].forward(r0);
            if (_reluInside) r.relu_(); // in place: returns the same tensor
            using var r2 = _convB[i].forward(r);
            r.Dispose();
            Swap(ref h, h.add(r2));
        }
        using var last = nn.functional.relu(h);
        h.Dispose();
        return _convLom.forward(last);
    }

    private static void Swap(ref Tensor current, Tensor next)
    {
        if (!ReferenceEquals(current, next)) current.Dispose();
        current = next;
    }

    /// <summary>Xavier-uniform weights and zero biases, as tf.contrib.layers.conv3d initializes Google's model.</summary>
    private void InitializeLikeGoogle(Generator? generator)
    {
        using var _ = no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
            else if (generator is null) nn.init.xavier_uniform_(p);
            else
            {
                // Xavier-uniform by hand (libtorch's xavier_uniform_ takes no generator): U(-a, a), a = sqrt(6 / (fan_in + fan_out)).
                long receptive = p.shape.Skip(2).Aggregate(1L, (x, y) => x * y);
                double a = Math.Sqrt(6.0 / ((p.shape[1] + p.shape[0]) * receptive));
                p.uniform_(-a, a, generator);
            }
        }
    }

    /// <summary>Multiply-adds x 2 (plus bias adds) of one forward pass over a single FoV.</summary>
    public static double FlopsPerFov(ModelConfig c)
    {
        double voxels = c.FovSize.Product, f = c.Features;
        double conv3(double cin, double cout) => voxels * cout * (2 * cin * 27 + 1);
        double total = conv3(2, f) + conv3(f, f) + 2 * (c.Depth - 1) * conv3(f, f);
        total += voxels * (2 * f + 1);
        return total;
    }

    public long ParameterCount => parameters().Sum(p => p.numel());
}
