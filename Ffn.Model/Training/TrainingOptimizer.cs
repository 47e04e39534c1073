using TorchSharp;
using static TorchSharp.torch;

namespace Ffn.Model.Training;

/// <summary>
/// The parameter update, written out (PyTorch's SGD and Adam formulas) so that its whole state is a set of named
/// tensors that a checkpoint saves and a resumed run restores exactly.
/// </summary>
public abstract class TrainingOptimizer : IDisposable
{
    protected TrainingOptimizer(IReadOnlyList<(string Name, Tensor Param)> parameters) => Parameters = parameters;

    protected IReadOnlyList<(string Name, Tensor Param)> Parameters { get; }

    /// <summary>Updates done so far.</summary>
    public long Updates { get; protected set; }

    public abstract string Name { get; }

    /// <summary>Applies one update from the parameters' gradients, with learning rate <paramref name="lr"/>.</summary>
    public abstract void Step(double lr);

    /// <summary>The state tensors by name (shared, not copies).</summary>
    public abstract IReadOnlyDictionary<string, Tensor> State { get; }

    /// <summary>Restores state saved from an optimizer of the same kind and network.</summary>
    public void Load(IReadOnlyDictionary<string, Tensor> saved, long updates, string source)
    {
        using var _ = no_grad();
        foreach (var (k, t) in State)
        {
            if (!saved.TryGetValue(k, out var s) || !s.shape.SequenceEqual(t.shape))
                throw new InputException($"{source}: optimizer state '{k}' missing or of another shape ({Name} state of another network?)");
            t.copy_(s);
        }
        if (Network.FiniteTensors.FirstNonFinite(State) is { } bad)
            throw new InputException($"{source}: optimizer state '{bad}' holds NaN or Inf (saved by a diverged training run)");
        Updates = updates;
    }

    /// <summary>The optimizer of <paramref name="o"/> over every parameter of <paramref name="model"/>.</summary>
    public static TrainingOptimizer For(Network.ConvStack3D model, TrainingOptions o) =>
        Create(o, [.. model.named_parameters().Select(p => (p.name, (Tensor)p.parameter))]);

    public static TrainingOptimizer Create(TrainingOptions o, IReadOnlyList<(string, Tensor)> parameters) => o.Optimizer switch
    {
        OptimizerKind.Sgd => new SgdOptimizer(parameters, o.Momentum),
        OptimizerKind.Adam => new AdamOptimizer(parameters, o.AdamBeta1, o.AdamBeta2, o.AdamEpsilon),
        _ => throw new ArgumentOutOfRangeException(nameof(o)),
    };

    public void Dispose()
    {
        foreach (var t in State.Values) t.Dispose();
        GC.SuppressFinalize(this);
    }
}
