using System.CommandLine;
using System.Globalization;
using Ffn.Host.Cli;
using Ffn.Model.Network;
using Ffn.Model.Runtime;
using static Ffn.Host.Commands.Bench.BenchSupport;

namespace Ffn.Host.Commands.Bench;

/// <summary>
/// `ffn bench memory`: runs many FoV steps through the network on a device and reports the memory in use there and
/// TorchSharp's live tensors before and after (<see cref="ForwardMemoryProbe"/>): a leak shows as growth.
/// </summary>
public static class BenchMemoryCommand
{
    public static Command Create(CommandContext ctx)
    {
        const string s = "bench.memory";
        var model = new Option<string?>("--model") { Description = "Checkpoint to run (default: the FIB-25 architecture, depth 12, 32 features, 33^3 FoV)" };
        var steps = Flags.Make<int>(ctx, s, "--steps", "FoV steps (forwards) to run after the warm-up");
        var batch = Flags.Make<int>(ctx, s, "--batch", "FoVs per forward");
        var torchFlags = new TorchFlags(ctx);
        var cmd = new Command("memory", "Memory in use on the device and live tensors before and after many FoV steps (a leak check)") { model, steps, batch };
        torchFlags.AddTo(cmd);
        cmd.SetAction(r =>
        {
            int n = Flags.AtLeast(r, steps), b = Flags.AtLeast(r, batch);
            var dev = torchFlags.Prepare(r, KernelPurpose.Inference);
            using var net = new Predictor(NetworkOrFib25(r.GetValue(model)), dev);
            // The probe counts live tensors per thread: everything runs on this one.
            ForwardMemoryProbe? p = null;
            var t = new Thread(() => p = ForwardMemoryProbe.Run(net, n, b));
            t.Start();
            t.Join();
            var ci = CultureInfo.InvariantCulture;
            var where = dev.type == TorchSharp.DeviceType.CUDA ? "in use on the GPU (NVML)" : "process working set";
            ctx.Out.WriteLine(string.Create(ci,
                $"{p!.Steps} FoV steps at batch {p.Batch} on {TorchRuntime.Name(dev)} in {p.Seconds:F1} s ({p.Seconds * 1000 / p.Steps:F1} ms/step): " +
                $"{where} {p.BytesWarm / 1048576.0:F1} MiB after warm-up, {p.BytesEnd / 1048576.0:F1} MiB after (growth {p.Growth / 1048576.0:F1} MiB); " +
                $"live tensors {p.LiveTensorsWarm} -> {p.LiveTensorsEnd}"));
            return FfnCli.Ok;
        });
        return cmd;
    }
}
