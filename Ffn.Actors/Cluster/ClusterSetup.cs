using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;

namespace Ffn.Actors.Cluster;

/// <summary>
/// What a cluster member's actor system starts from: its HOCON (where hocon/cluster.conf binds ffn's messages to
/// <see cref="AllowListHyperionSerializer"/>), and mutual TLS when the member has a certificate.
/// </summary>
public static class ClusterSetup
{
    /// <param name="log">Where refused TLS peers are reported (one line each).</param>
    public static ActorSystemSetup Create(Config config, ClusterTls? tls, Action<string> log)
    {
        var bootstrap = BootstrapSetup.Create().WithConfig(config);
        return tls is null ? ActorSystemSetup.Create(bootstrap) : bootstrap.And(tls.Setup(log));
    }
}
