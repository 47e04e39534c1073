using System.Collections;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ffn.Model.Checkpoints;
using Ffn.Model.Network;
using Ffn.Model.Volumes;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Ffn.Model.Training;

/// <summary>Where one in-flight example stood at a checkpoint: enough to re-create it and continue its moves.</summary>
public sealed record SlotState(long Ordinal, int MovesTried);

/// <summary>The trainer's own state at a checkpoint (beside the network's weights and the optimizer's tensors).</summary>
public sealed record TrainingState
{
    public long Step { get; init; }

    /// <summary>Ordinal of the next example to start; its coordinate row is this modulo the coordinate count.</summary>
    public long NextOrdinal { get; init; }

    public int CoordinateCount { get; init; }
    public int BatchSize { get; init; }
    public ulong Seed { get; init; }
    public string Optimizer { get; init; } = "";
    public long OptimizerUpdates { get; init; }
    public double ElapsedSeconds { get; init; }
    public List<SlotState?> Slots { get; init; } = [];
}

/// <summary>
/// A training checkpoint in a directory: <c>INDEX_STEP.pkl</c> (FFN-PyTorch's naming: INDEX = coordinates started,
/// STEP = updates done) with its JSON sidecar — a normal model checkpoint that inference and Python's torch.load
/// read — plus <c>INDEX_STEP.train.pkl</c> (optimizer state and the seed canvases of the examples in flight, a
/// PyTorch state_dict) and <c>INDEX_STEP.train.json</c> (<see cref="TrainingState"/>). Every file is written
/// atomically and the .train.json last, so a checkpoint exists only once it is whole: a kill at any moment leaves
/// the previous one as the newest.
/// </summary>
public sealed partial record TrainingCheckpoint(string ModelPath, string StatePath, string TensorsPath, long Step)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string Stem(long nextOrdinal, long step) => $"{nextOrdinal}_{step}";

    /// <summary>The complete checkpoint with the most steps in <paramref name="dir"/>, or null.</summary>
    public static TrainingCheckpoint? FindNewest(string dir)
    {
        if (!Directory.Exists(dir)) return null;
        TrainingCheckpoint? best = null;
        foreach (var f in Directory.GetFiles(dir, "*.train.json"))
        {
            var m = NameRegex().Match(Path.GetFileName(f));
            if (!m.Success) continue;
            var stem = Path.Combine(dir, m.Groups[1].Value);
            var ck = new TrainingCheckpoint(stem + ".pkl", f, stem + ".train.pkl", long.Parse(m.Groups[3].Value));
            if (!File.Exists(ck.ModelPath) || !File.Exists(ModelConfig.SidecarPath(ck.ModelPath)) || !File.Exists(ck.TensorsPath)) continue;
            if (best is null || ck.Step > best.Step) best = ck;
        }
        return best;
    }

    public TrainingState ReadState()
    {
        try
        {
            return JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(StatePath), Json) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new InputException($"{StatePath}: malformed training state ({e.Message.Split('\n')[0]})");
        }
    }

    /// <summary>The saved tensors by name (caller disposes).</summary>
    public Dictionary<string, Tensor> ReadTensors()
    {
        Hashtable table;
        try
        {
            table = PyTorchUnpickler.UnpickleStateDict(TensorsPath);
        }
        catch (Exception e) when (e is not InputException)
        {
            throw new InputException($"{TensorsPath}: truncated or corrupt training state ({e.GetType().Name}: {e.Message.Split('\n')[0]})");
        }
        var result = new Dictionary<string, Tensor>();
        foreach (DictionaryEntry kv in table)
            if (kv.Value is Tensor t) result[(string)kv.Key] = t;
        return result;
    }

    /// <exception cref="TrainingDivergedException">a weight or state tensor holds NaN or Inf: nothing is written.</exception>
    public static TrainingCheckpoint Save(string dir, ConvStack3D model, ModelConfig config, TrainingState state,
        IReadOnlyDictionary<string, Tensor> tensors)
    {
        if (FiniteTensors.FirstNonFinite(model.state_dict().Concat(tensors)) is { } bad)
            throw new TrainingDivergedException(state.Step, $"{bad} is not finite after it");
        var stem = Path.Combine(dir, Stem(state.NextOrdinal, state.Step));
        var ck = new TrainingCheckpoint(stem + ".pkl", stem + ".train.json", stem + ".train.pkl", state.Step);
        var cpu = tensors.ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu());
        try
        {
            AtomicFile.Write(ck.TensorsPath, s => PyTorchPickler.PickleStateDict(s, cpu, leaveOpen: true));
        }
        finally
        {
            foreach (var t in cpu.Values) t.Dispose();
        }
        ModelCheckpoint.Save(model, ck.ModelPath, config);
        AtomicFile.WriteAllText(ck.StatePath, JsonSerializer.Serialize(state, Json));
        return ck;
    }

    [GeneratedRegex(@"^(([0-9]+)_([0-9]+))\.train\.json$")]
    private static partial Regex NameRegex();
}
