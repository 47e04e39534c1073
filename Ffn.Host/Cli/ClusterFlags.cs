using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor.Setup;
using Akka.Configuration;
using Ffn.Actors.Cluster;

namespace Ffn.Host.Cli;

/// <summary>
/// Flags that make a process a cluster member (`ffn node`, `ffn run --cluster`) and the actor-system setup they
/// produce: hocon/cluster.conf over the ffn/akka defaults, then hostname, port, roles, seed nodes and TLS from flags.
/// Plain TCP is refused on any address but loopback unless --insecure says so.
/// </summary>
public sealed class ClusterFlags
{
    public Option<bool>? Cluster { get; }
    public Option<string> SeedNodes { get; }
    public Option<string> Hostname { get; }
    public Option<int> Port { get; }
    public Option<double> Resubmit { get; }
    public Option<string> Tls { get; }
    public Option<string> TlsCa { get; }
    public Option<bool> Insecure { get; }

    public ClusterFlags(CommandContext ctx, string section, bool optIn = true)
    {
        if (optIn) Cluster = Flags.Make<bool>(ctx, section, "--cluster", "Submit the run to an Akka.NET cluster of `ffn node` processes (needs --seed-nodes)");
        SeedNodes = Flags.Make<string>(ctx, section, "--seed-nodes", "Cluster seed nodes akka.tcp://ffn@HOST:PORT[,...] (akka.ssl.tcp://... with --tls)");
        Hostname = Flags.Make<string>(ctx, section, "--hostname", "Address this member binds and announces");
        Port = Flags.Make<int>(ctx, section, "--port", "Port this member binds (0 = any free port)");
        Resubmit = Flags.Make<double>(ctx, section, "--resubmit-interval", "Seconds between resubmissions of a run (lets a moved coordinator pick it up)");
        Tls = Flags.Make<string>(ctx, section, "--tls", "This member's certificate and key DIR/NAME.pfx (made by `ffn certs`): remoting over mutual TLS");
        TlsCa = Flags.Make<string>(ctx, section, "--tls-ca", "The cluster's CA certificate DIR/ca.crt: every peer's certificate must be signed by it");
        Insecure = Flags.Make<bool>(ctx, section, "--insecure", "Allow plain TCP on a non-loopback address (anyone who reaches the port can join)");
    }

    public IEnumerable<Option> All => new Option?[] { Cluster, SeedNodes, Hostname, Port, Resubmit, Tls, TlsCa, Insecure }.OfType<Option>();

    public bool Enabled(ParseResult r) => Cluster == null || r.GetValue(Cluster);

    public ActorSystemSetup Setup(CommandContext ctx, ParseResult r, IReadOnlyList<string> roles)
    {
        var tls = LoadTls(r);
        var scheme = tls is null ? "akka.tcp" : "akka.ssl.tcp";
        var seeds = (r.GetValue(SeedNodes) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (seeds.Length == 0) throw Flags.Missing("--seed-nodes", $"at least one seed node {scheme}://ffn@HOST:PORT");
        foreach (var s in seeds)
            if (!s.StartsWith($"{scheme}://ffn@", StringComparison.Ordinal) || !Uri.TryCreate(s, UriKind.Absolute, out var u) || u.Port <= 0)
                throw new UsageException($"--seed-nodes {s}: expected {scheme}://ffn@HOST:PORT{(tls is null ? " (akka.ssl.tcp needs --tls)" : " (--tls is on)")}");
        var host = r.GetValue(Hostname) is { Length: > 0 } h ? h : "127.0.0.1";
        int port = r.GetValue(Port);
        if (port is < 0 or > 65535) throw new UsageException($"--port {port}: expected 0..65535");
        bool insecure = r.GetValue(Insecure);
        if (tls is not null && insecure) throw new UsageException("--insecure: not with --tls (remoting is already TLS)");
        if (tls is null && !IsLoopback(host))
        {
            if (!insecure)
                throw new UsageException($"--hostname {host}: plain TCP off loopback lets anyone who reaches the port join; give --tls DIR/NAME.pfx --tls-ca DIR/ca.crt (see `ffn certs`), or --insecure");
            ctx.Err.WriteLine($"ffn: warning: --insecure: remoting on {host} is plain TCP; anyone who reaches port {port} can join this cluster and submit runs");
        }
        var overrides = ConfigurationFactory.ParseString(
            $"akka.remote.dot-netty.tcp.hostname = \"{host}\"\n" +
            $"akka.remote.dot-netty.tcp.port = {port}\n" +
            $"akka.remote.dot-netty.tcp.enable-ssl = {(tls is null ? "off" : "on")}\n" +
            $"akka.cluster.roles = [{string.Join(",", roles.Select(x => $"\"{x}\""))}]\n" +
            $"akka.cluster.seed-nodes = [{string.Join(",", seeds.Select(x => $"\"{x}\""))}]\n");
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("cluster.conf")
            ?? throw new InvalidOperationException("embedded cluster.conf is missing from the build");
        using var reader = new StreamReader(stream);
        var cluster = ConfigurationFactory.ParseString(reader.ReadToEnd());
        // A user's --config wins over cluster.conf: it is already merged into ctx.Config.Raw, so take its akka keys first.
        var config = overrides.WithFallback(ctx.Config.UserLayer).WithFallback(cluster).WithFallback(ctx.Config.Raw);
        return ClusterSetup.Create(config, tls, ctx.Progress.Report);
    }

    /// <summary>Loopback by address, or a name that resolves to loopback addresses only.</summary>
    private static bool IsLoopback(string host)
    {
        if (IPAddress.TryParse(host, out var ip)) return IPAddress.IsLoopback(ip);
        try
        {
            var all = Dns.GetHostAddresses(host);
            return all.Length > 0 && all.All(IPAddress.IsLoopback);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private ClusterTls? LoadTls(ParseResult r)
    {
        var pfx = r.GetValue(Tls);
        var ca = r.GetValue(TlsCa);
        if (string.IsNullOrWhiteSpace(pfx) && string.IsNullOrWhiteSpace(ca)) return null;
        if (string.IsNullOrWhiteSpace(pfx)) throw Flags.Missing("--tls", "this member's certificate DIR/NAME.pfx (with --tls-ca)");
        if (string.IsNullOrWhiteSpace(ca)) throw Flags.Missing("--tls-ca", "the cluster's CA certificate DIR/ca.crt (with --tls)");
        var member = Load("--tls", pfx, p => X509CertificateLoader.LoadPkcs12FromFile(p, null));
        if (!member.HasPrivateKey) throw new UsageException($"--tls {pfx}: holds no private key");
        var tls = new ClusterTls(member, Load("--tls-ca", ca, X509CertificateLoader.LoadCertificateFromFile));
        return tls.Problem(member) is { } problem ? throw new UsageException($"--tls {pfx}: {problem} (--tls-ca {ca})") : tls;
    }

    private static X509Certificate2 Load(string flag, string path, Func<string, X509Certificate2> load)
    {
        if (!File.Exists(path)) throw new UsageException($"{flag} {path}: no such file");
        try
        {
            return load(path);
        }
        catch (CryptographicException e)
        {
            throw new UsageException($"{flag} {path}: not a certificate file of that kind ({e.Message})");
        }
    }
}
