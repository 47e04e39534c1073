using System.Globalization;

namespace Ffn.Model;

/// <summary>
/// Float settings (learning rate, thresholds, image mean, ...) end up in float32 arithmetic. NaN passes every range
/// check written as a comparison, and a value beyond float32's range becomes an infinity there; either one turns the
/// network's input, output or weights into NaN. So each such setting must be a finite float32 number.
/// </summary>
public static class FiniteSetting
{
    /// <exception cref="InputException">NaN, an infinity, or a magnitude beyond float32's range.</exception>
    public static void Require(string flag, double value)
    {
        if (!float.IsFinite((float)value))
            throw new InputException(string.Create(CultureInfo.InvariantCulture, $"{flag} must be a finite float32 number, got {value}"));
    }
}
