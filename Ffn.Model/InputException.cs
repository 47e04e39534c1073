namespace Ffn.Model;

/// <summary>
/// Bad input the user can fix (a missing file or dataset, a wrong rank or dtype, a malformed or incompatible file).
/// The message is one line naming the file and the problem; the command line prints it without a stack trace and
/// exits with the usage-error code.
/// </summary>
public class InputException(string message, Exception? inner = null) : Exception(message, inner);
