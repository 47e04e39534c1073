using System.Runtime.CompilerServices;
using Ffn.Host.Cli;
using Ffn.Model.Runtime;

namespace Ffn.Tests.Support;

/// <summary>
/// The test process chooses its CPU kernels as `ffn` does, before any test runs a kernel: so on a CPU whose
/// default kernels are wrong the tests run what users get. It asks for training's kernels: tests train as well as
/// infer, and kernels checked for training are right for both. FFN_SELF_CHECK=never (the per-ISA numerics runs in .ci/run) leaves libtorch's
/// default path, capped only by ONEDNN_MAX_CPU_ISA, for the tests to judge.
/// </summary>
internal static class KernelGuardSetup
{
#pragma warning disable CA2255 // the test assembly is the process's entry point for this purpose
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Prepare()
    {
        var env = Environment.GetEnvironmentVariable(KernelFlags.SelfCheckVariable);
        var mode = string.IsNullOrEmpty(env) ? SelfCheckMode.Auto : SelfCheckModes.Parse(env, $"{KernelFlags.SelfCheckVariable}={env}");
        KernelGuard.Prepare(new KernelGuardOptions { Mode = mode, Purpose = KernelPurpose.Training }, KernelProbeProcess.Run, Console.Error.WriteLine);
    }
}
