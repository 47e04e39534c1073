using System.Security.Cryptography.X509Certificates;
using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

/// <summary>`ffn certs`: what it writes is checked with .NET's own chain builder, not with the code that made it.</summary>
public class CertsCommandTests
{
    private static X509ChainStatusFlags Verify(X509Certificate2 member, X509Certificate2 ca, params string[] usages)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        foreach (var u in usages) chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(u));
        chain.Build(member);
        return chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (a, s) => a | s.Status);
    }

    [Fact]
    public void Makes_a_CA_and_member_certificates_for_both_ends_and_never_overwrites()
    {
        using var tmp = new TempDir();
        var dir = tmp.File("certs");
        var r = Cli.Run("certs", dir, "--members", "coordinator,worker-1");
        Assert.True(r.ExitCode == 0, r.Err);
        var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(dir, "ca.crt"));
        Assert.False(ca.HasPrivateKey);
        Assert.True(X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(dir, "ca.pfx"), null).HasPrivateKey);
        Assert.True(ca.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        foreach (var name in new[] { "coordinator", "worker-1" })
        {
            var file = Path.Combine(dir, name + ".pfx");
            var member = X509CertificateLoader.LoadPkcs12FromFile(file, null);
            Assert.True(member.HasPrivateKey);
            Assert.Equal($"CN={name}", member.SubjectName.Name.Split(", ").First(p => p.StartsWith("CN=")));
            Assert.Equal(X509ChainStatusFlags.NoError, Verify(member, ca, "1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2")); // server and client auth
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        // Another CA's member does not chain to this one.
        Assert.Equal(0, Cli.Run("certs", tmp.File("other"), "--members", "x").ExitCode);
        var foreign = X509CertificateLoader.LoadPkcs12FromFile(tmp.File("other/x.pfx"), null);
        Assert.NotEqual(X509ChainStatusFlags.NoError, Verify(foreign, ca));

        // An existing member is refused (nothing written); a new one is signed by the existing CA.
        var before = Directory.GetFiles(dir).ToDictionary(f => f, File.ReadAllBytes);
        var again = Cli.Run("certs", dir, "--members", "worker-2,worker-1");
        Assert.Equal(2, again.ExitCode);
        Assert.Equal([$"ffn: error: {Path.Combine(dir, "worker-1.pfx")}: exists; ffn certs never overwrites a file (remove it to issue a new one)"], again.ErrLines);
        Assert.Equal(before.Keys.Order(), Directory.GetFiles(dir).Order());
        Assert.All(before, kv => Assert.Equal(kv.Value, File.ReadAllBytes(kv.Key)));
        Assert.Equal(0, Cli.Run("certs", dir, "--members", "worker-2").ExitCode);
        Assert.All(before, kv => Assert.Equal(kv.Value, File.ReadAllBytes(kv.Key)));
        Assert.Equal(X509ChainStatusFlags.NoError, Verify(X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(dir, "worker-2.pfx"), null), ca));
    }
}
