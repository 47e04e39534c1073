using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Ffn.Host.Cli;
using Ffn.Model.Checkpoints;
using Ffn.Model.Network;

namespace Ffn.Host.Commands;

/// <summary>`ffn model info CKPT`: architecture, size, cost per FoV step and trained settings of a checkpoint.</summary>
public static class ModelInfoCommand
{
    public static Command Create(CommandContext ctx)
    {
        var ckpt = new Argument<string>("checkpoint") { Description = "Any supported checkpoint" };
        var json = new Option<bool>("--json") { Description = "Print as JSON" };
        var c = new Command("info", "Architecture, parameter count, FLOPs per FoV step, training step and settings of a checkpoint") { ckpt, json };
        c.SetAction(r =>
        {
            var path = r.GetValue(ckpt)!;
            using var model = ModelCheckpoint.Load(path);
            var cfg = model.Config;
            double gflop = ConvStack3D.FlopsPerFov(cfg) / 1e9;
            if (r.GetValue(json))
            {
                ctx.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    format = ModelCheckpoint.Detect(path).ToString(),
                    architecture = cfg.Architecture.Name(),
                    depth = cfg.Depth,
                    features = cfg.Features,
                    parameters = model.ParameterCount,
                    gflop_per_fov = gflop,
                    fov_size_zyx = cfg.FovSize.ToArray(),
                    deltas_zyx = cfg.Deltas.ToArray(),
                    training_step = cfg.TrainingStep,
                    image_mean = cfg.ImageMean,
                    image_stddev = cfg.ImageStddev,
                    pad_value = cfg.PadValue,
                    init_activation = cfg.InitActivation,
                    move_threshold = cfg.MoveThreshold,
                    has_sidecar = File.Exists(ModelConfig.SidecarPath(path)),
                }));
                return FfnCli.Ok;
            }
            var ci = CultureInfo.InvariantCulture;
            ctx.Out.WriteLine($"checkpoint:    {path} ({ModelCheckpoint.Detect(path)})");
            ctx.Out.WriteLine($"architecture:  {cfg.Architecture.Name()}, depth {cfg.Depth}, {cfg.Features} features");
            ctx.Out.WriteLine(string.Create(ci, $"parameters:    {model.ParameterCount:N0}"));
            ctx.Out.WriteLine(string.Create(ci, $"compute:       {gflop:F2} GFLOP per FoV step ({cfg.FovSize} z,y,x)"));
            ctx.Out.WriteLine($"training step: {cfg.TrainingStep}");
            ctx.Out.WriteLine(string.Create(ci, $"settings:      fov {cfg.FovSize}, deltas {cfg.Deltas}, image mean {cfg.ImageMean} stddev {cfg.ImageStddev}, pad {cfg.PadValue}, init {cfg.InitActivation}, move threshold {cfg.MoveThreshold}"));
            if (!File.Exists(ModelConfig.SidecarPath(path)))
                ctx.Out.WriteLine("               (no JSON sidecar: settings are the published FIB-25 defaults; `ffn model import` records yours)");
            return FfnCli.Ok;
        });
        return c;
    }
}
