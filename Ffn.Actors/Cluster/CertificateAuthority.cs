using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ffn.Actors.Cluster;

/// <summary>
/// A cluster's own certificate authority (`ffn certs`): a self-signed CA that may sign member certificates only
/// (path length 0), and member certificates for both ends of a TLS connection, since every member both accepts and
/// makes connections. ECDSA P-256 keys with SHA-256 signatures, made with .NET's X.509 classes (no openssl).
/// </summary>
public sealed class CertificateAuthority(X509Certificate2 certificate) : IDisposable
{
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>The CA's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; } = certificate;

    public static CertificateAuthority Create(string name, int days)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={name}, O=ffn"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = DateTimeOffset.UtcNow;
        return new CertificateAuthority(request.CreateSelfSigned(now - ClockSkew, now.AddDays(days)));
    }

    /// <summary>A member's certificate with its private key, valid for <paramref name="days"/> or until the CA expires.</summary>
    public X509Certificate2 Issue(string member, int days)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={member}, O=ffn"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ClusterTls.ServerAuth, ClusterTls.ClientAuth], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var now = DateTimeOffset.UtcNow;
        var notAfter = new[] { now.AddDays(days), new DateTimeOffset(Certificate.NotAfter.ToUniversalTime()) }.Min();
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive serial number
        using var signed = request.Create(Certificate, now - ClockSkew, notAfter, serial);
        return signed.CopyWithPrivateKey(key);
    }

    public void Dispose() => Certificate.Dispose();
}
