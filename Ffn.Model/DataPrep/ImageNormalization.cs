using System.Globalization;

namespace Ffn.Model.DataPrep;

/// <summary>
/// The --image-mean/--image-stddev pair that training and inference normalize every voxel with, (v - mean) / stddev.
/// A NaN, an infinity (in float32) or a zero stddev would make the whole normalized image non-finite (nothing would be
/// segmented or learnt), so one check refuses them for every command.
/// </summary>
public static class ImageNormalization
{
    /// <exception cref="InputException">a mean or stddev that is not a finite float32 number, or a stddev of 0 or below.</exception>
    public static void Validate(double mean, double stddev)
    {
        FiniteSetting.Require("--image-mean", mean);
        FiniteSetting.Require("--image-stddev", stddev);
        if (stddev <= 0) throw new InputException(string.Create(CultureInfo.InvariantCulture, $"--image-stddev must be > 0, got {stddev}"));
    }
}
