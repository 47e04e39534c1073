using Ffn.Model.Geometry;

namespace Ffn.Model.Training;

/// <summary>
/// Makes the training example of an ordinal: coordinate row = ordinal mod count (the coordinates are already
/// shuffled by build-coordinates, and FFN-PyTorch walks them in order), augmentation and move order drawn from the
/// ordinal's own random stream. Pure and thread-safe: the same ordinal always gives the same example.
/// </summary>
public sealed class ExampleFactory(TrainingData data, TrainingOptions options, bool augment = true)
{
    private readonly Vec3i[] _shifts = FovShifts.For(options.Deltas);

    public TrainingOptions Options => options;

    public int Count => data.Count;

    public TrainingExample Make(long ordinal)
    {
        int row = (int)(ordinal % data.Count);
        var rng = new TrainingRandom(options.Seed, ordinal);
        var (image, labels, centre) = data[row];
        var size = options.ExampleSize;
        var box = new Box3(centre - size / 2, size);
        var img = image.Crop(box).Data;
        var lab = labels.Crop(box).Data;

        long centreId = lab[lab.Length / 2];
        float hi = (float)(1 - options.LabelSoftness), lo = (float)options.LabelSoftness;
        var soft = new float[lab.Length];
        for (int i = 0; i < soft.Length; i++) soft[i] = centreId != 0 && lab[i] == centreId ? hi : lo;

        float mean = (float)options.ImageMean, inv = (float)(1 / options.ImageStddev);
        if (augment)
        {
            var aug = Augmentation.Draw(ref rng, options);
            img = aug.Apply(img, size);
            soft = aug.Apply(soft, size);
        }
        else
        {
            img = (float[])img.Clone();
        }
        float scale = 1, shift = 0;
        if (augment && options.JitterScale > 0) scale = (float)rng.Uniform(1 - options.JitterScale, 1 + options.JitterScale);
        if (augment && options.JitterShift > 0) shift = (float)rng.Uniform(-options.JitterShift, options.JitterShift);
        for (int i = 0; i < img.Length; i++) img[i] = (img[i] - mean) * inv * scale + shift;

        var moves = (Vec3i[])_shifts.Clone();
        if (options.ShuffleMoves) rng.Shuffle(moves);
        return new TrainingExample(ordinal, row, size, img, soft, [Vec3i.Zero, .. moves]);
    }
}
