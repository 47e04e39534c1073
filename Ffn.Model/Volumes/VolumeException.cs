namespace Ffn.Model.Volumes;

/// <summary>A volume that cannot be read or written as given (see <see cref="InputException"/>).</summary>
public class VolumeException(string message, Exception? inner = null) : InputException(message, inner);
