namespace Ffn.Model.Volumes;

/// <summary>
/// Bad input the user can fix (missing file or dataset, wrong rank, unsupported dtype, malformed file). The message
/// is one line that names the file and the problem; the command line prints it without a stack trace.
/// </summary>
public class VolumeException(string message, Exception? inner = null) : Exception(message, inner);
