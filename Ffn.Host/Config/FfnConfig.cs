using System.Reflection;
using System.Text;
using Akka.Configuration;
using Ffn.Host.Cli;

namespace Ffn.Host.Config;

/// <summary>
/// The HOCON layers behind every flag's default: the embedded hocon/ffn.conf, then an optional --config FILE.
/// Flags given on the command line override both (System.CommandLine only uses these as defaults).
/// </summary>
public sealed class FfnConfig
{
    private readonly Akka.Configuration.Config _config;

    private FfnConfig(Akka.Configuration.Config config, Akka.Configuration.Config user)
    {
        _config = config;
        UserLayer = user;
    }

    /// <summary>Only what the user's --config file says (empty without one), to put above other defaults.</summary>
    public Akka.Configuration.Config UserLayer { get; }

    public static FfnConfig Load(string? userFile)
    {
        var ffn = Embedded("ffn.conf");
        var defaults = ffn.WithFallback(Embedded("akka.conf"));
        if (userFile is null) return new FfnConfig(defaults, ConfigurationFactory.Empty);
        if (!File.Exists(userFile)) throw new UsageException($"--config {userFile}: no such file");
        var text = ReadText(userFile);
        // Akka's parser can loop forever on malformed input, so it only sees text whose structure has been checked.
        if (HoconSyntax.FirstError(text) is var (line, column, problem))
            throw new UsageException($"--config {userFile}:{line}:{column}: {problem}");
        Akka.Configuration.Config user;
        try
        {
            // Akka's tokenizer misses a '#', ':' or '=' that is the text's last character; a final new line avoids that.
            user = ConfigurationFactory.ParseString(text + "\n");
        }
        catch (Exception e) when (e is not UsageException)
        {
            throw new UsageException($"--config {userFile}: not valid HOCON: {e.Message.Split('\n')[0]}");
        }
        ConfigKeys.Check(user.Root, ffn.Root, userFile);
        return new FfnConfig(user.WithFallback(defaults), user);
    }

    private static string ReadText(string file)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(File.ReadAllBytes(file)).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException)
        {
            throw new UsageException($"--config {file}: not UTF-8 text (a HOCON file was expected)");
        }
    }

    /// <summary>The whole merged configuration, `akka` section included, for the actor system.</summary>
    public Akka.Configuration.Config Raw => _config;

    private static Akka.Configuration.Config Embedded(string name)
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded {name} is missing from the build");
        using var r = new StreamReader(s);
        return ConfigurationFactory.ParseString(r.ReadToEnd());
    }

    public bool Has(string key) => _config.HasPath(key);

    public T Get<T>(string key)
    {
        if (!_config.HasPath(key)) throw new InvalidOperationException($"configuration key {key} is missing from ffn.conf");
        try
        {
            object value = typeof(T) switch
            {
                var t when t == typeof(string) => _config.GetString(key),
                var t when t == typeof(int) => _config.GetInt(key),
                var t when t == typeof(long) => _config.GetLong(key),
                var t when t == typeof(double) => _config.GetDouble(key),
                var t when t == typeof(bool) => _config.GetBoolean(key),
                _ => throw new NotSupportedException($"config values of type {typeof(T).Name}"),
            };
            return (T)value;
        }
        catch (Exception e) when (e is FormatException or InvalidCastException or ConfigurationException)
        {
            throw new UsageException($"config key {key}: cannot read a {typeof(T).Name} ({e.Message})");
        }
    }
}
