using static TorchSharp.torch;

namespace Ffn.Model.Training;

/// <summary>
/// torch.optim.Adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
/// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
/// </summary>
public sealed class AdamOptimizer : TrainingOptimizer
{
    private readonly double _b1, _b2, _eps;
    private readonly Dictionary<string, Tensor> _state = [];

    public AdamOptimizer(IReadOnlyList<(string Name, Tensor Param)> parameters, double beta1, double beta2, double eps) : base(parameters)
    {
        (_b1, _b2, _eps) = (beta1, beta2, eps);
        foreach (var (n, p) in parameters)
        {
            _state[$"{n}.exp_avg"] = zeros_like(p).DetachFromDisposeScope();
            _state[$"{n}.exp_avg_sq"] = zeros_like(p).DetachFromDisposeScope();
        }
    }

    public override string Name => "adam";
    public override IReadOnlyDictionary<string, Tensor> State => _state;

    public override void Step(double lr)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        long t = Updates + 1;
        double bc1 = 1 - Math.Pow(_b1, t), bc2 = 1 - Math.Pow(_b2, t);
        foreach (var (n, p) in Parameters)
        {
            var g = p.grad;
            if (g is null) continue;
            var m = _state[$"{n}.exp_avg"];
            var v = _state[$"{n}.exp_avg_sq"];
            m.mul_(_b1).add_(g, alpha: 1 - _b1);
            v.mul_(_b2).addcmul_(g, g, value: 1 - _b2);
            var denom = v.sqrt().div_(Math.Sqrt(bc2)).add_(_eps);
            p.addcdiv_(m, denom, value: -lr / bc1);
        }
        Updates++;
    }
}
