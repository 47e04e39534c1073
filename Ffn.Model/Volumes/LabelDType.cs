namespace Ffn.Model.Volumes;

/// <summary>
/// Label volumes (object ids, partitions) must have an integer dtype: a float volume there is an image or a
/// probability map given by mistake, and its values are no object ids. Checked from the header, before any read.
/// </summary>
public static class LabelDType
{
    /// <exception cref="InputException">a float label volume.</exception>
    public static void Require(IVolumeReader labels)
    {
        if (labels.Info.DType.IsFloat())
            throw new InputException($"{labels.Source}: labels must have an integer dtype, found {labels.Info.DType.Name()}");
    }
}
