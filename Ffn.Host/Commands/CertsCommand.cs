using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Ffn.Actors.Cluster;
using Ffn.Host.Cli;

namespace Ffn.Host.Commands;

/// <summary>
/// `ffn certs DIR --members NAME[,NAME...]`: the cluster CA (DIR/ca.crt; its key in DIR/ca.pfx) and one certificate
/// per member (DIR/NAME.pfx) for `ffn node --tls DIR/NAME.pfx --tls-ca DIR/ca.crt`. An existing CA is reused, so
/// members can be added later; no existing file is ever overwritten. Key files are readable by their owner only.
/// </summary>
public static partial class CertsCommand
{
    public static Command Create(CommandContext ctx)
    {
        const string s = "certs";
        var dir = new Argument<string>("DIR") { Description = "Folder for ca.crt, ca.pfx and the members' NAME.pfx (created if missing)" };
        var members = Flags.Make<string>(ctx, s, "--members", "Members NAME[,NAME...] to issue certificates for (DIR/NAME.pfx)");
        var days = Flags.Make<int>(ctx, s, "--days", "Days each new certificate is valid (a member's at most as long as the CA's)");
        var cmd = new Command("certs", "Make a cluster CA and member certificates for mutual TLS (never overwrites a file)") { dir, members, days };
        cmd.SetAction(r =>
        {
            var folder = Path.GetFullPath(r.GetValue(dir)!);
            var names = Flags.Required(r, members, "at least one member name").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToArray();
            int valid = Flags.AtLeast(r, days);
            foreach (var n in names)
                if (!MemberName().IsMatch(n) || n == "ca")
                    throw new UsageException($"--members {n}: a name is letters, digits, '.', '-' or '_' (and not \"ca\")");
            string caPfx = Path.Combine(folder, "ca.pfx"), caCrt = Path.Combine(folder, "ca.crt");
            // Every check before the first write: a refused call leaves the folder as it was.
            foreach (var n in names)
                if (File.Exists(Path.Combine(folder, n + ".pfx")))
                    throw new UsageException($"{Path.Combine(folder, n + ".pfx")}: exists; ffn certs never overwrites a file (remove it to issue a new one)");
            if (!File.Exists(caPfx) && File.Exists(caCrt))
                throw new UsageException($"{caCrt}: exists without the CA's key {caPfx}; use another DIR for a new CA");
            OutputDirectory.Ensure("DIR", folder);
            using var ca = File.Exists(caPfx) ? LoadCa(caPfx, caCrt) : NewCa(folder, caPfx, caCrt, valid, ctx);
            foreach (var n in names)
            {
                using var cert = ca.Issue(n, valid);
                var file = Path.Combine(folder, n + ".pfx");
                Write(file, cert.Export(X509ContentType.Pkcs12));
                ctx.Out.WriteLine($"{file}: member {n}, valid until {cert.NotAfter.ToUniversalTime():yyyy-MM-dd}: ffn node --tls {file} --tls-ca {caCrt}");
            }
            return FfnCli.Ok;
        });
        return cmd;
    }

    private static CertificateAuthority NewCa(string folder, string caPfx, string caCrt, int days, CommandContext ctx)
    {
        var ca = CertificateAuthority.Create($"ffn cluster CA {Path.GetFileName(folder)} {Convert.ToHexString(RandomNumberGenerator.GetBytes(4))}", days);
        Write(caPfx, ca.Certificate.Export(X509ContentType.Pkcs12));
        Write(caCrt, System.Text.Encoding.ASCII.GetBytes(ca.Certificate.ExportCertificatePem() + "\n"), ownerOnly: false);
        ctx.Out.WriteLine($"{caCrt}: the cluster CA {ca.Certificate.Subject} (its key: {caPfx}; keep that file off the nodes)");
        return ca;
    }

    private static CertificateAuthority LoadCa(string caPfx, string caCrt)
    {
        X509Certificate2 ca;
        try
        {
            ca = X509CertificateLoader.LoadPkcs12FromFile(caPfx, null);
        }
        catch (CryptographicException e)
        {
            throw new UsageException($"{caPfx}: not a PKCS#12 file ffn can read ({e.Message})");
        }
        if (!ca.HasPrivateKey) throw new UsageException($"{caPfx}: holds no private key");
        if (!File.Exists(caCrt) || !X509CertificateLoader.LoadCertificateFromFile(caCrt).RawData.AsSpan().SequenceEqual(ca.RawData))
            throw new UsageException($"{caCrt}: missing or not the certificate of {caPfx}");
        return new CertificateAuthority(ca);
    }

    /// <summary>Creates the file; one already there is an error, never replaced (also when another process made it meanwhile).</summary>
    private static void Write(string path, byte[] bytes, bool ownerOnly = true)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (ownerOnly && !OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using var f = new FileStream(path, options);
            f.Write(bytes);
        }
        catch (IOException) when (File.Exists(path))
        {
            throw new UsageException($"{path}: exists; ffn certs never overwrites a file");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex MemberName();
}
