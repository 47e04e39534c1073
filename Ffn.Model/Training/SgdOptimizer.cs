using static TorchSharp.torch;

namespace Ffn.Model.Training;

/// <summary>torch.optim.SGD: buf = momentum * buf + g (buf = g on the first update); p -= lr * buf (p -= lr * g without momentum).</summary>
public sealed class SgdOptimizer : TrainingOptimizer
{
    private readonly double _momentum;
    private readonly Dictionary<string, Tensor> _state = [];

    public SgdOptimizer(IReadOnlyList<(string Name, Tensor Param)> parameters, double momentum) : base(parameters)
    {
        _momentum = momentum;
        if (momentum > 0)
            foreach (var (n, p) in parameters) _state[$"{n}.momentum_buffer"] = zeros_like(p).DetachFromDisposeScope();
    }

    public override string Name => "sgd";
    public override IReadOnlyDictionary<string, Tensor> State => _state;

    public override void Step(double lr)
    {
        using var _ = no_grad();
        foreach (var (n, p) in Parameters)
        {
            var g = p.grad;
            if (g is null) continue;
            if (_momentum > 0)
            {
                var buf = _state[$"{n}.momentum_buffer"];
                if (Updates == 0) buf.copy_(g);
                else buf.mul_(_momentum).add_(g);
                p.add_(buf, alpha: -lr);
            }
            else
            {
                p.add_(g, alpha: -lr);
            }
        }
        Updates++;
    }
}
