using System.CommandLine;
using System.Globalization;
using Ffn.Host.Cli;
using Ffn.Model;
using Ffn.Model.Checkpoints;
using Ffn.Model.Geometry;
using Ffn.Model.Inference;
using Ffn.Model.Inference.SeedPolicies;
using Ffn.Model.Network;
using Ffn.Model.Runtime;
using Ffn.Model.Volumes;

namespace Ffn.Host.Commands;

/// <summary>`ffn infer`: FFN-PyTorch's inference.py — flood-fill every object of one subvolume.</summary>
public static class InferCommand
{
    public static Command Create(CommandContext ctx)
    {
        const string s = "infer";
        var image = Flags.Make<string>(ctx, s, "--image-path", "Image volume PATH.h5:dataset (or .npy, .npz:key, .tif, PATH.zarr[:array])", "--image_path");
        var model = Flags.Make<string>(ctx, s, "--model", "Checkpoint (ours, FFN-PyTorch .pkl or Google TF); its JSON sidecar supplies the defaults below");
        var baseDir = new Option<string?>("--base-dir", "--base_dir") { Description = "FFN-PyTorch's model directory (with --model-name)" };
        var modelName = new Option<string?>("--model-name", "--model_name") { Description = "FFN-PyTorch's model file name inside --base-dir" };
        var corner = Flags.Make<string>(ctx, s, "--corner", "Subvolume corner z,y,x");
        var size = Flags.Make<string?>(ctx, s, "--subvol-size", "Subvolume size z,y,x (default: to the end of the volume)", "--subvol_size");
        var output = Flags.Make<string>(ctx, s, "--seg-result-path", "Directory for seg_z_y_x.npz/.json", "--seg_result_path");
        var ckptDir = new Option<string?>("--checkpoints-path", "--checkpoints_path") { Description = "Directory for inference checkpoints (default: --seg-result-path)" };
        var auto = Flags.Make<bool>(ctx, s, "--auto-normalize", "Use the subvolume's own int(mean), int(std), as FFN-PyTorch does per block");
        var inf = new InferenceFlags(ctx);
        var keepProb = Flags.Make<bool>(ctx, s, "--keep-prob", "Also save the uint8 probability map ('prob' in the npz)");
        var fov = new Option<string?>("--fov-size") { Description = "Expected FoV z,y,x; refused if the model's differs" };
        var torchFlags = new TorchFlags(ctx);
        var precision = new PrecisionFlags(ctx);
        var cmd = new Command("infer", "Segment one subvolume with a trained FFN (FFN-PyTorch's inference.py)")
        {
            image, model, baseDir, modelName, corner, size, output, ckptDir, auto, keepProb, fov,
        };
        torchFlags.AddTo(cmd);
        precision.AddTo(cmd);
        foreach (var o in inf.All) cmd.Options.Add(o);
        cmd.SetAction((r, cancel) =>
        {
            var modelPath = r.GetValue(model);
            if (string.IsNullOrEmpty(modelPath))
            {
                if (r.GetValue(baseDir) is { } b && r.GetValue(modelName) is { } n) modelPath = Path.Combine(b, n);
                else throw new UsageException("--model: a checkpoint is required (or --base-dir with --model-name)");
            }
            var imagePath = r.GetValue(image);
            if (string.IsNullOrEmpty(imagePath)) throw new UsageException("--image-path: an image volume PATH.h5:dataset is required");
            var outDir = r.GetValue(output);
            if (string.IsNullOrEmpty(outDir)) throw new UsageException("--seg-result-path: an output directory is required");
            OutputDirectory.Ensure("--seg-result-path", outDir);
            if (r.GetValue(ckptDir) is { } cd && Path.GetFullPath(cd) != Path.GetFullPath(outDir))
                throw new UsageException("--checkpoints-path: inference checkpoints live beside the result; give the same directory as --seg-result-path");
            var spec = VolumeSpec.Parse(imagePath);
            Vec3i shape;
            using (var reader = VolumeStore.OpenRead(spec)) shape = reader.Info.Shape;
            var start = Flags.ParseVec("--corner", r.GetValue(corner), positive: false);
            var sz = r.GetValue(size) is { } t ? Flags.ParseVec("--subvol-size", t) : shape - start;
            var box = new Box3(start, sz);
            if (!Box3.FromShape(shape).Contains(box))
                throw new UsageException($"--corner {start} --subvol-size {sz}: lies outside {spec} of shape {shape}");

            var dev = torchFlags.Prepare(r, KernelPurpose.Inference);
            var forward = precision.Resolve(r, torchFlags);
            var net = ModelCheckpoint.Load(modelPath);
            var cfg = net.Config;
            if (r.GetValue(fov) is { } f && Flags.ParseVec("--fov-size", f) != cfg.FovSize)
                throw new UsageException($"--fov-size {f}: the model {modelPath} has FoV {cfg.FovSize}");
            if (sz.Z < cfg.FovSize.Z || sz.Y < cfg.FovSize.Y || sz.X < cfg.FovSize.X)
                throw new UsageException($"--subvol-size {sz}: smaller than the model's FoV {cfg.FovSize}");
            var req = new SubvolumeRequest
            {
                Settings = inf.Settings(r, cfg, spec, modelPath, r.GetValue(auto), r.GetValue(keepProb), TorchRuntime.Name(dev), ctx.Progress),
                Box = box,
                OutputDir = outDir,
            };
            using var predictor = new NetworkFovPredictor(net, dev, forward);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var result = SubvolumeRunner.Run(req, predictor, msg => ctx.Progress.Report(msg), cancel);
            var c = result.Counters;
            var ci = CultureInfo.InvariantCulture;
            double secs = clock.Elapsed.TotalSeconds;
            ctx.Out.WriteLine(string.Create(ci, $"wrote {result.SegmentationPath}: {result.Objects} objects, {c[Counters.VoxelsSegmented]} voxels ({100.0 * c[Counters.VoxelsSegmented] / box.Volume:F1}%), " +
                $"{c[Counters.NetworkEvaluations]} network evaluations in {secs:F1} s ({c[Counters.NetworkEvaluations] / Math.Max(secs, 1e-9):F2}/s){(result.Resumed ? ", resumed from a checkpoint" : "")}{(result.NothingToSegment ? " - nothing to segment" : "")}"));
            ctx.Out.WriteLine("counters: " + c.ToJson());
            return Task.FromResult(FfnCli.Ok);
        });
        return cmd;
    }
}
