using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Remote.Transport.DotNetty;

namespace Ffn.Actors.Cluster;

/// <summary>
/// Mutual TLS between cluster members (`--tls NAME.pfx --tls-ca ca.crt`): this member's certificate and key, and the
/// cluster's CA. Every connection, accepted or made, goes on only when the peer presents a certificate that chains to
/// this CA alone (never the system's trust store) and is meant for both TLS server and client authentication. Host
/// names are not compared: members are addressed by IP and port, and holding a CA-signed key is what makes a member.
/// Akka.NET's DotNetty transport (1.5.55 and later) asks the server side for the client's certificate and calls the
/// validator below on both sides, so the check happens in the handshake, before any message is read.
/// </summary>
public sealed class ClusterTls(X509Certificate2 member, X509Certificate2 authority)
{
    public static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1", "TLS server authentication");
    public static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2", "TLS client authentication");

    public X509Certificate2 Member { get; } = member;
    public X509Certificate2 Authority { get; } = authority;

    /// <summary>Why <paramref name="cert"/> is not a member certificate of this cluster, or null if it is one.</summary>
    public string? Problem(X509Certificate2 cert)
    {
        var usages = cert.Extensions.OfType<X509EnhancedKeyUsageExtension>().SelectMany(e => e.EnhancedKeyUsages.Cast<Oid>()).Select(o => o.Value).ToHashSet();
        if (!usages.Contains(ServerAuth.Value) || !usages.Contains(ClientAuth.Value))
            return $"certificate {cert.Subject} is not for both TLS server and client authentication";
        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.Add(Authority);
        // A private CA publishes no revocation list; a member is removed by issuing a new CA (README).
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        if (chain.Build(cert)) return null;
        var status = string.Join(", ", chain.ChainStatus.Select(s => s.Status).Distinct());
        return $"certificate {cert.Subject} (issuer {cert.Issuer}) is not signed by this cluster's CA {Authority.Subject} ({status})";
    }

    /// <summary>The transport's TLS settings; each refused peer is reported through <paramref name="log"/> with its address.</summary>
    public DotNettySslSetup Setup(Action<string> log) =>
        new(Member, suppressValidation: false, requireMutualAuthentication: true, validateCertificateHostname: false,
            customValidator: (cert, _, peer, _, _) =>
            {
                var problem = cert is null ? "presented no certificate" : Problem(cert);
                if (problem is null) return true;
                log($"tls: refused peer {Readable(peer)}: {problem}");
                return false;
            });

    /// <summary>An accepted connection's peer as the transport names it, with an IPv4 address shown as such ("[::ffff:a.b.c.d]:p" is "a.b.c.d:p").</summary>
    private static string Readable(string peer) =>
        IPEndPoint.TryParse(peer, out var ep) && ep.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(ep.Address.MapToIPv4(), ep.Port).ToString() : peer;
}
