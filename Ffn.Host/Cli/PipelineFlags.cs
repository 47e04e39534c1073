using System.CommandLine;
using Ffn.Actors.Coordinator;
using Ffn.Actors.Workers;

namespace Ffn.Host.Cli;

/// <summary>
/// The coordinator's tunables (`ffn run`; HOCON ffn.run.*) and a node's worker-pool tunables (`ffn run` and
/// `ffn node`; HOCON ffn.run.* or ffn.node.*), read into <see cref="CoordinatorSettings"/> and
/// <see cref="WorkerPoolSettings"/>.
/// </summary>
public sealed class PipelineFlags
{
    private readonly Option<int>? _maxAttempts;
    private readonly Option<double>? _backoff, _backoffMax, _deadline, _progress;
    private readonly Option<int>? _slabMib;
    private readonly Option<int> _workers, _maxRestarts, _workersPerDevice;
    private readonly Option<string> _devices;
    private readonly Option<double> _replaceDelay, _restartWindow, _stopTimeout, _drainTimeout;
    private readonly Option<double>? _requestInterval;

    /// <param name="coordinator">Also the coordinator's flags (a command that starts runs: `ffn run`).</param>
    /// <param name="requestInterval">Also the idle workers' request interval (a cluster member: `ffn node`).</param>
    public PipelineFlags(CommandContext ctx, string section, bool coordinator, bool requestInterval)
    {
        if (coordinator)
        {
            _maxAttempts = Flags.Make<int>(ctx, section, "--max-attempts", "Attempts per block before it is reported as failed");
            _backoff = Flags.Make<double>(ctx, section, "--retry-backoff", "Seconds before the first retry of a failed block (doubles per attempt, up to --retry-backoff-max)");
            _backoffMax = Flags.Make<double>(ctx, section, "--retry-backoff-max", "Longest wait between retries of a block, seconds");
            _deadline = Flags.Make<double>(ctx, section, "--block-deadline", "Seconds after which a running block is abandoned and its worker replaced (0 = none)");
            _progress = Flags.Make<double>(ctx, section, "--progress-interval", "Seconds between progress lines");
            _slabMib = Flags.Make<int>(ctx, section, "--stitch-slab-mib", "MiB of output the stitcher holds at once while it writes the volume");
        }
        _workers = Flags.Make<int>(ctx, section, "--workers", "Inference workers on --device (on CPU each uses --threads)");
        _devices = Flags.Make<string>(ctx, section, "--devices", "One inference worker per listed device, each with its own model copy: cuda:0,cuda:1 or cpu,cpu (\"\" = --workers on --device)");
        _workersPerDevice = Flags.Make<int>(ctx, section, "--workers-per-device", "Workers sharing each device of --devices (small GPUs: 1; a large GPU may take 2 or more)");
        _replaceDelay = Flags.Make<double>(ctx, section, "--worker-replace-delay", "Seconds before a stopped worker is replaced");
        _maxRestarts = Flags.Make<int>(ctx, section, "--max-restarts", "Restarts of a faulting worker allowed within --restart-window before it is stopped");
        _restartWindow = Flags.Make<double>(ctx, section, "--restart-window", "Seconds over which --max-restarts counts");
        _stopTimeout = Flags.Make<double>(ctx, section, "--stop-timeout", "Seconds stopping waits for each part of the pipeline");
        _drainTimeout = Flags.Make<double>(ctx, section, "--drain-timeout", "Seconds stopping waits for blocks still inside the network");
        if (requestInterval) _requestInterval = Flags.Make<double>(ctx, section, "--request-interval", "Seconds between an idle worker's requests for work");
    }

    public Option<int> Workers => _workers;

    public IEnumerable<Option> All =>
        new Option?[] { _maxAttempts, _backoff, _backoffMax, _deadline, _progress, _slabMib, _workers, _devices, _workersPerDevice, _replaceDelay, _maxRestarts, _restartWindow,
            _stopTimeout, _drainTimeout, _requestInterval }.OfType<Option>();

    public CoordinatorSettings Coordinator(ParseResult r)
    {
        if (_maxAttempts is null) throw new InvalidOperationException("these flags have no coordinator part");
        int attempts = r.GetValue(_maxAttempts);
        if (attempts < 1) throw new UsageException($"--max-attempts must be >= 1, got {attempts}");
        int slab = r.GetValue(_slabMib!);
        if (slab < 1) throw new UsageException($"--stitch-slab-mib must be >= 1, got {slab}");
        return new CoordinatorSettings
        {
            MaxAttempts = attempts,
            RetryBackoff = Seconds(r, _backoff!, "--retry-backoff"),
            RetryBackoffMax = Seconds(r, _backoffMax!, "--retry-backoff-max"),
            BlockDeadline = Seconds(r, _deadline!, "--block-deadline"),
            ProgressInterval = TimeSpan.FromSeconds(Math.Max(0.1, r.GetValue(_progress!))),
            StitchSlabBytes = slab * 1048576L,
        };
    }

    /// <param name="device">--device: where workers run when --devices is not given.</param>
    public WorkerPoolSettings WorkerPool(ParseResult r, string device)
    {
        int workers = r.GetValue(_workers), restarts = r.GetValue(_maxRestarts);
        if (workers < 1) throw new UsageException($"--workers must be >= 1, got {workers}");
        if (restarts < 0) throw new UsageException($"--max-restarts must be >= 0, got {restarts}");
        IReadOnlyList<string> devices = [device];
        if (r.GetValue(_devices) is { Length: > 0 } list)
        {
            if (r.GetResult(_workers) is { Implicit: false })
                throw new UsageException("--workers: give --devices with --workers-per-device, or --workers with --device, not both");
            devices = DeviceList.Parse(list, "--devices");
            workers = devices.Count * Flags.AtLeast(r, _workersPerDevice);
        }
        return new WorkerPoolSettings
        {
            Workers = workers,
            Devices = devices,
            ReplaceDelay = Seconds(r, _replaceDelay, "--worker-replace-delay"),
            MaxRestarts = restarts,
            RestartWindow = Seconds(r, _restartWindow, "--restart-window"),
            RequestInterval = _requestInterval is null ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Max(0.1, r.GetValue(_requestInterval))),
            StopTimeout = Seconds(r, _stopTimeout, "--stop-timeout"),
            DrainTimeout = Seconds(r, _drainTimeout, "--drain-timeout"),
        };
    }

    private static TimeSpan Seconds(ParseResult r, Option<double> o, string flag) =>
        r.GetValue(o) is var v && v >= 0 ? TimeSpan.FromSeconds(v) : throw new UsageException($"{flag} must be >= 0, got {v}");
}
