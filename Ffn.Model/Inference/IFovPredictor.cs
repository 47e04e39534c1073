using Ffn.Model.Geometry;

namespace Ffn.Model.Inference;

/// <summary>
/// One FFN step: given the FoV image and seed logits (both [z, y, x] of the FoV shape), returns the new logits
/// (seed + network update), as google/ffn's executor returns the 'logits' fetch.
/// </summary>
public interface IFovPredictor
{
    Vec3i FovSize { get; }

    void Predict(ReadOnlySpan<float> image, ReadOnlySpan<float> seed, Span<float> logits);

    /// <summary>Several FoVs in one network call (one batch); each array is one FoV.</summary>
    void PredictBatch(float[][] images, float[][] seeds, float[][] logits);
}
