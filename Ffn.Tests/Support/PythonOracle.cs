using System.Diagnostics;

namespace Ffn.Tests.Support;

/// <summary>
/// Runs Debian's /usr/bin/python3 (NumPy, h5py, tifffile, SciPy, scikit-image, torch) as an independent oracle.
/// A missing interpreter or module fails the test loudly: .ci/run installs them.
/// </summary>
public static class PythonOracle
{
    public const string Interpreter = "/usr/bin/python3";

    /// <summary>Runs <paramref name="script"/> with <paramref name="args"/> in sys.argv[1:]; returns stdout, throws on failure.</summary>
    public static string Run(string script, params string[] args)
    {
        if (!File.Exists(Interpreter))
            throw new InvalidOperationException($"{Interpreter} is missing: install python3-numpy python3-h5py python3-tifffile");
        var psi = new ProcessStartInfo(Interpreter)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-");
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(script);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(300_000)) { p.Kill(true); throw new TimeoutException("python oracle timed out"); }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"python oracle failed ({p.ExitCode}):\n{stderr.Result}\n{stdout.Result}");
        return stdout.Result;
    }

    /// <summary>
    /// scikit-image's VI split and merge and adapted Rand error over ground truth != 0, for a segmentation
    /// (<c>FILE.h5</c> dataset 'segmentation') against labels (<c>FILE.h5</c> dataset 'labels').
    /// </summary>
    public static (double Vi, double Split, double Merge, double AdaptedRandError) SegmentationScores(string segH5, string labelsH5)
    {
        var v = Run("""
import sys, h5py, numpy as np
from skimage.metrics import variation_of_information, adapted_rand_error
seg = h5py.File(sys.argv[1], 'r')['segmentation'][...].astype(np.int64)
gt = h5py.File(sys.argv[2], 'r')['labels'][...].astype(np.int64)
m = gt != 0
split, merge = variation_of_information(gt[m], seg[m])
are = adapted_rand_error(gt[m], seg[m])[0]
print(repr(split + merge), repr(split), repr(merge), repr(are))
""", segH5, labelsH5).Trim().Split(' ').Select(x => double.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return (v[0], v[1], v[2], v[3]);
    }
}
