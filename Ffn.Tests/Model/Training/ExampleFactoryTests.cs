using Ffn.Model.Geometry;
using Ffn.Model.Training;

namespace Ffn.Tests.Model.Training;

/// <summary>Example patches, normalization and soft labels recomputed voxel by voxel from the volumes.</summary>
public class ExampleFactoryTests
{
    [Fact]
    public void Patch_is_normalized_and_labels_are_the_softened_centre_object()
    {
        using var t = TrainingTestData.Create(seed: 1, count: 60);
        var o = new TrainingOptions { FovSize = new Vec3i(5, 5, 5), Deltas = new Vec3i(1, 1, 1), ImageMean = 500, ImageStddev = 250, LabelSoftness = 0.1 };
        var f = new ExampleFactory(t.Data, o, augment: false);
        int background = 0, objects = 0;
        for (int i = 0; i < 60; i++)
        {
            var ex = f.Make(i + 60); // ordinals wrap around the coordinates
            Assert.Equal(i, ex.Row);
            var c = t.Centres[i];
            uint centreId = t.Labels[c];
            if (centreId == 0) background++;
            else objects++;
            int k = 0;
            for (int z = -3; z <= 3; z++)
                for (int y = -3; y <= 3; y++)
                    for (int x = -3; x <= 3; x++, k++)
                    {
                        var p = c + new Vec3i(z, y, x);
                        Assert.Equal((t.Image[p] - 500f) / 250f, ex.Image[k], 5);
                        float want = centreId != 0 && t.Labels[p] == centreId ? 0.9f : 0.1f;
                        Assert.Equal(want, ex.Labels[k], 6);
                    }
        }
        Assert.True(background > 0 && objects > 0, "the test data should cover both centre kinds");
    }
}
