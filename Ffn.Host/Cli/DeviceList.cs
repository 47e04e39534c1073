namespace Ffn.Host.Cli;

/// <summary>
/// The devices of --devices: cpu, cuda or cuda:N, comma-separated, in the order workers take them (a device may
/// repeat: cpu,cpu is two CPU workers). Only the spelling is checked here; whether CUDA and device N exist is
/// checked once libtorch is set up (<see cref="Ffn.Model.Network.TorchRuntime.ParseDevice"/>).
/// </summary>
public static class DeviceList
{
    public static IReadOnlyList<string> Parse(string text, string flag)
    {
        var devices = new List<string>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var d = part.ToLowerInvariant();
            bool ok = d == "cpu" || d == "cuda" || (d.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(d[5..], out var n) && n >= 0);
            if (!ok) throw new UsageException($"{flag} {text}: \"{part}\" is not a device; expected cpu, cuda or cuda:N, comma-separated");
            devices.Add(d == "cuda" ? "cuda:0" : d);
        }
        return devices;
    }
}
