using System.Collections;
using System.Text.RegularExpressions;
using Ffn.Model.Network;
using Ffn.Model.Volumes;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Ffn.Model.Checkpoints;

/// <summary>
/// Loads networks from our checkpoints, FFN-PyTorch's .pkl state_dicts and Google's TensorFlow checkpoints, and
/// saves ours as PyTorch-compatible state_dicts (Python's torch.load reads them) plus a JSON sidecar.
/// </summary>
public static partial class ModelCheckpoint
{
    // Legacy torch.save pickles first its magic number 0x1950a86a20f9469cfc6c (pickle protocol 2: PROTO 2, LONG1 of 10 bytes).
    private static readonly byte[] LegacyTorchMagic = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

    public static CheckpointFormat Detect(string path)
    {
        if (Directory.Exists(path))
        {
            var idx = Directory.GetFiles(path, "*.index");
            if (idx.Length == 1) return CheckpointFormat.TensorFlow;
            throw new CheckpointException(idx.Length == 0
                ? $"{path}: a directory without a TensorFlow checkpoint (.index); name the checkpoint file"
                : $"{path}: several TensorFlow checkpoints; name one prefix");
        }
        if (TfCheckpointReader.IsCheckpoint(path)) return CheckpointFormat.TensorFlow;
        if (!File.Exists(path)) throw new CheckpointException($"{path}: no such checkpoint");
        Span<byte> head = stackalloc byte[LegacyTorchMagic.Length];
        int got;
        using (var fs = File.OpenRead(path))
            if ((got = fs.ReadAtLeast(head, 4, throwOnEndOfStream: false)) < 4)
                throw new CheckpointException($"{path}: truncated checkpoint ({fs.Length} bytes)");
        if (head[0] == (byte)'P' && head[1] == (byte)'K') return CheckpointFormat.PyTorch;
        if (head[0] == 0x80) // a pickle's PROTO opcode
            throw new CheckpointException(got == head.Length && head[2..].SequenceEqual(LegacyTorchMagic.AsSpan(2))
                ? $"{path}: a legacy (pre-1.6) torch.save file; re-save it in Python with torch.save(state_dict, path)"
                : $"{path}: a Python pickle, not a PyTorch checkpoint (torch.save writes a zip archive)");
        throw new CheckpointException($"{path}: unknown checkpoint format (expected a PyTorch .pkl/.pt state_dict or a TensorFlow checkpoint with .index/.data files)");
    }

    /// <summary>
    /// A checkpoint's network settings (FoV, deltas, normalization, thresholds): from its sidecar without touching
    /// the weights where there is one (ours always have it), else as <see cref="Load"/> infers them.
    /// </summary>
    public static ModelConfig ReadConfig(string path)
    {
        if (Detect(path) == CheckpointFormat.PyTorch && ModelConfig.TryLoadSidecar(path) is { } config) return config;
        using var model = Load(path);
        return model.Config;
    }

    /// <summary>
    /// Loads a network on the CPU. The config comes from <paramref name="config"/>, else the sidecar, else what the
    /// weights imply (depth, features, layout) plus the published FIB-25 defaults.
    /// </summary>
    public static ConvStack3D Load(string path, ModelConfig? config = null)
    {
        var format = Detect(path); // first: it explains a directory without exactly one .index
        if (Directory.Exists(path)) path = Directory.GetFiles(path, "*.index")[0];
        return format == CheckpointFormat.TensorFlow ? LoadTensorFlow(path, config) : LoadPyTorch(path, config);
    }

    private static ConvStack3D LoadPyTorch(string path, ModelConfig? config)
    {
        ZipIntegrity.Verify(path);
        Hashtable table;
        try
        {
            table = PyTorchUnpickler.UnpickleStateDict(path);
        }
        catch (Exception e) when (e is not InputException)
        {
            throw new CheckpointException($"{path}: {DescribeUnpickleFailure(e)}", e);
        }
        var tensors = new Dictionary<string, Tensor>();
        foreach (DictionaryEntry kv in table)
            if (kv.Value is Tensor t) tensors[(string)kv.Key] = t;
        try
        {
            // A layout that the weights contradict is named with the sidecar it came from.
            var fromSidecar = "";
            if (config is null && (config = ModelConfig.TryLoadSidecar(path)) is not null) fromSidecar = $" (as {ModelConfig.SidecarPath(path)} says)";
            Dictionary<string, Tensor> ours;
            if (CheckpointNames.LooksLikeFfnPyTorch(tensors.Keys))
            {
                int depth = config?.Depth ?? CheckpointNames.FfnPyTorchDepth(tensors.Keys);
                ours = Rename(tensors, k => CheckpointNames.FromFfnPyTorch(k, depth), k => $"{path}: unexpected tensor '{k}' for depth {depth}{fromSidecar}");
                // FFN-PyTorch names checkpoints <coordinate index>_<step>.pkl.
                var m = Regex.Match(Path.GetFileNameWithoutExtension(path), @"^[0-9]+_([0-9]+)$");
                config ??= Infer(NetworkVariant.FfnPyTorch, ours, path) with { TrainingStep = m.Success ? long.Parse(m.Groups[1].Value) : 0 };
            }
            else if (CheckpointNames.LooksLikeOurs(tensors.Keys))
            {
                ours = tensors;
                config ??= Infer(NetworkVariant.Google, ours, path);
            }
            else
            {
                throw new CheckpointException($"{path}: not an FFN state_dict (no conv0_a.weight or net.0.weight among {tensors.Count} tensors)");
            }
            return Build(config, ours, path, fromSidecar);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>What the file is, in the user's terms: the unpickler's own messages give advice about the library.</summary>
    private static string DescribeUnpickleFailure(Exception e)
    {
        // No Python callable is ever run (the unpickler knows tensors and dicts only); one called with arguments, as a
        // __reduce__ payload is, stops it here.
        if (e is Razorvine.Pickle.PickleException && UnknownClassRegex().Match(e.Message) is { Success: true } m)
            return $"a PyTorch file holding Python objects other than tensors ({m.Groups[1].Value}), not a state_dict; ffn reads state_dicts of tensors only";
        if (e is InvalidCastException) // the pickle's top object is not a dict
            return "a PyTorch file that holds no state_dict (a dict of tensors)";
        if (e is NotImplementedException && e.Message.Contains("entire model", StringComparison.Ordinal))
            return "a whole pickled PyTorch model, not a state_dict; re-save it in Python with torch.save(model.state_dict(), path)";
        return $"truncated or corrupt PyTorch checkpoint ({e.GetType().Name}: {e.Message.Split('\n')[0]})";
    }

    [GeneratedRegex(@"\(for ([^)\s]+)\)")]
    private static partial Regex UnknownClassRegex();

    private static ConvStack3D LoadTensorFlow(string path, ModelConfig? config)
    {
        var ckpt = TfCheckpointReader.Open(path);
        var layers = ckpt.Entries.Select(e => e.Name)
            .Where(n => n.StartsWith("seed_update/", StringComparison.Ordinal) && n.EndsWith("/weights", StringComparison.Ordinal))
            .Select(n => n["seed_update/".Length..^"/weights".Length]).ToList();
        if (!layers.Contains("conv0_a"))
            throw new CheckpointException($"{path}: not an FFN convstack_3d checkpoint (no seed_update/conv0_a/weights)");
        long step = ckpt.Contains("global_step") ? ckpt.ReadInt64Scalar("global_step") : 0;
        var tensors = new Dictionary<string, Tensor>();
        try
        {
            foreach (var layer in layers)
            {
                var w = ckpt[$"seed_update/{layer}/weights"];
                if (w.Shape.Length != 5)
                    throw new CheckpointException($"{path}: seed_update/{layer}/weights has shape [{string.Join(",", w.Shape)}], expected 5 dims [kz,ky,kx,in,out]");
                using (var raw = torch.tensor(ckpt.ReadFloat(w.Name), w.Shape))
                    tensors[$"{layer}.weight"] = raw.permute(4, 3, 0, 1, 2).contiguous(); // [kz,ky,kx,in,out] -> [out,in,kz,ky,kx]
                var b = ckpt[$"seed_update/{layer}/biases"];
                tensors[$"{layer}.bias"] = torch.tensor(ckpt.ReadFloat(b.Name), b.Shape);
            }
            config ??= Infer(NetworkVariant.Google, tensors, path) with { TrainingStep = step };
            return Build(config, tensors, path);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    private static ModelConfig Infer(NetworkVariant variant, Dictionary<string, Tensor> ours, string path)
    {
        if (!ours.TryGetValue("conv0_a.weight", out var w0) || w0.shape.Length != 5)
            throw new CheckpointException($"{path}: conv0_a.weight missing or not 5-dimensional");
        int depth = CheckpointNames.GoogleDepth(ours.Keys.Select(k => k[..k.LastIndexOf('.')]));
        return new ModelConfig
        {
            Architecture = variant,
            Depth = depth,
            Features = (int)w0.shape[0],
            Source = Path.GetFullPath(path),
        };
    }

    private static Dictionary<string, Tensor> Rename(Dictionary<string, Tensor> src, Func<string, string?> map, Func<string, string> unexpected)
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var (k, t) in src)
        {
            var n = map(k) ?? throw new CheckpointException(unexpected(k));
            result[n] = t;
        }
        return result;
    }

    /// <summary>Builds the network and copies the weights in, checking every name and shape first.</summary>
    private static ConvStack3D Build(ModelConfig config, Dictionary<string, Tensor> weights, string path, string fromSidecar = "")
    {
        var model = new ConvStack3D(config);
        try
        {
            var expected = model.state_dict();
            var arch = $"{config.Architecture.Name()} depth {config.Depth} features {config.Features}{fromSidecar}";
            var missing = expected.Keys.Where(k => !weights.ContainsKey(k)).ToList();
            if (missing.Count > 0)
                throw new CheckpointException($"{path}: missing {missing.Count} tensors for {arch} (first: {missing[0]})");
            var extra = weights.Keys.Where(k => !expected.ContainsKey(k)).ToList();
            if (extra.Count > 0)
                throw new CheckpointException($"{path}: {extra.Count} tensors that {arch} does not have (first: {extra[0]})");
            foreach (var (k, p) in expected)
            {
                var t = weights[k];
                if (!t.shape.SequenceEqual(p.shape))
                    throw new CheckpointException($"{path}: tensor {k} has shape [{string.Join(",", t.shape)}], expected [{string.Join(",", p.shape)}] for {arch}");
                if (t.dtype != ScalarType.Float32)
                    throw new CheckpointException($"{path}: tensor {k} is {t.dtype}, expected float32");
            }
            // Trained weights are finite; NaN or Inf would make every output NaN.
            if (FiniteTensors.FirstNonFinite(weights) is { } bad)
                throw new CheckpointException($"{path}: tensor {bad} holds NaN or Inf: the checkpoint is damaged or from a diverged training run (use one from before the divergence)");
            using (no_grad())
                foreach (var (k, p) in expected) p.copy_(weights[k]);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Saves the weights as a PyTorch state_dict (keys as the Python module of the same layout names them) and the
    /// config as the JSON sidecar: both or neither. The config is checked first, so a sidecar is never written with a
    /// value that loading it would refuse.
    /// </summary>
    public static void Save(ConvStack3D model, string path, ModelConfig? config = null)
    {
        config ??= model.Config;
        config.Validate();
        var json = config.ToJson();
        var sidecar = ModelConfig.SidecarPath(path);
        foreach (var p in new[] { path, sidecar })
            if (Directory.Exists(p)) throw new CheckpointException($"{p}: is a directory, not a file");
        var dict = new Dictionary<string, Tensor>();
        foreach (var (k, p) in model.state_dict())
            dict[CheckpointNames.KeyFor(config.Architecture, k, config.Depth)] = p.detach().cpu();
        try
        {
            using var weights = AtomicFile.Begin(path);
            PyTorchPickler.PickleStateDict(weights.Stream, dict, leaveOpen: true);
            weights.Stream.Flush();
            // The sidecar is renamed into place once the weights' temporary file is complete, just before the weights
            // are: a failure before then leaves neither, and an orphan sidecar is never mistaken for a checkpoint.
            AtomicFile.WriteAllText(sidecar, json);
            try
            {
                weights.Commit();
            }
            catch
            {
                AtomicFile.TryDelete(sidecar);
                throw;
            }
        }
        finally
        {
            foreach (var t in dict.Values) t.Dispose();
        }
    }
}
