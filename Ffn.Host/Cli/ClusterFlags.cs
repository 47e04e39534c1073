using System.CommandLine;
using System.Reflection;
using Akka.Configuration;

namespace Ffn.Host.Cli;

/// <summary>
/// Flags that make a process a cluster member (`ffn node`, `ffn run --cluster`) and the Akka configuration they
/// produce: hocon/cluster.conf over the ffn/akka defaults, then hostname, port, roles and seed nodes from flags.
/// </summary>
public sealed class ClusterFlags
{
    public Option<bool>? Cluster { get; }
    public Option<string> SeedNodes { get; }
    public Option<string> Hostname { get; }
    public Option<int> Port { get; }
    public Option<double> Resubmit { get; }

    public ClusterFlags(CommandContext ctx, string section, bool optIn = true)
    {
        if (optIn) Cluster = Flags.Make<bool>(ctx, section, "--cluster", "Submit the run to an Akka.NET cluster of `ffn node` processes (needs --seed-nodes)");
        SeedNodes = Flags.Make<string>(ctx, section, "--seed-nodes", "Cluster seed nodes akka.tcp://ffn@HOST:PORT[,...]");
        Hostname = Flags.Make<string>(ctx, section, "--hostname", "Address this member binds and announces");
        Port = Flags.Make<int>(ctx, section, "--port", "Port this member binds (0 = any free port)");
        Resubmit = Flags.Make<double>(ctx, section, "--resubmit-interval", "Seconds between resubmissions of a run (lets a moved coordinator pick it up)");
    }

    public IEnumerable<Option> All => Cluster == null ? [SeedNodes, Hostname, Port, Resubmit] : [Cluster, SeedNodes, Hostname, Port, Resubmit];

    public bool Enabled(ParseResult r) => Cluster == null || r.GetValue(Cluster);

    public Akka.Configuration.Config Config(CommandContext ctx, ParseResult r, IReadOnlyList<string> roles)
    {
        var seeds = (r.GetValue(SeedNodes) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (seeds.Length == 0) throw Flags.Missing("--seed-nodes", "at least one seed node akka.tcp://ffn@HOST:PORT");
        foreach (var s in seeds)
            if (!s.StartsWith("akka.tcp://ffn@", StringComparison.Ordinal) || !Uri.TryCreate(s, UriKind.Absolute, out var u) || u.Port <= 0)
                throw new UsageException($"--seed-nodes {s}: expected akka.tcp://ffn@HOST:PORT");
        var host = r.GetValue(Hostname) is { Length: > 0 } h ? h : "127.0.0.1";
        int port = r.GetValue(Port);
        if (port is < 0 or > 65535) throw new UsageException($"--port {port}: expected 0..65535");
        var overrides = ConfigurationFactory.ParseString(
            $"akka.remote.dot-netty.tcp.hostname = \"{host}\"\n" +
            $"akka.remote.dot-netty.tcp.port = {port}\n" +
            $"akka.cluster.roles = [{string.Join(",", roles.Select(x => $"\"{x}\""))}]\n" +
            $"akka.cluster.seed-nodes = [{string.Join(",", seeds.Select(x => $"\"{x}\""))}]\n");
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("cluster.conf")
            ?? throw new InvalidOperationException("embedded cluster.conf is missing from the build");
        using var reader = new StreamReader(stream);
        var cluster = ConfigurationFactory.ParseString(reader.ReadToEnd());
        // A user's --config wins over cluster.conf: it is already merged into ctx.Config.Raw, so take its akka keys first.
        return overrides.WithFallback(ctx.Config.UserLayer).WithFallback(cluster).WithFallback(ctx.Config.Raw);
    }
}
