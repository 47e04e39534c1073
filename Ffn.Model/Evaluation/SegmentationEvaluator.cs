using Ffn.Model.Geometry;
using Ffn.Model.Volumes;

namespace Ffn.Model.Evaluation;

/// <summary>Scores a segmentation against ground truth, streaming both over z-slabs of a (cropped) region.</summary>
public static class SegmentationEvaluator
{
    public static SegmentationMetrics Evaluate(IVolumeReader segmentation, IVolumeReader groundTruth, Box3? crop = null,
        int slabDepth = 32, IProgress<string>? progress = null)
    {
        if (segmentation.Info.Shape != groundTruth.Info.Shape)
            throw new InputException($"{segmentation.Source} has shape {segmentation.Info.Shape} but {groundTruth.Source} has {groundTruth.Info.Shape}");
        LabelDType.Require(segmentation);
        LabelDType.Require(groundTruth);
        var region = crop ?? segmentation.Info.Box;
        if (!segmentation.Info.Box.Contains(region) || region.IsEmpty)
            throw new InputException($"--crop {region} is empty or outside the volume {segmentation.Info.Shape}");
        var table = new ContingencyTable();
        var slabs = region.Tiles(new Vec3i(Math.Max(1, slabDepth), region.Size.Y, region.Size.X)).ToList();
        for (int i = 0; i < slabs.Count; i++)
        {
            table.Add(segmentation.Read(slabs[i]), groundTruth.Read(slabs[i]), segmentation.Source, groundTruth.Source);
            if (progress != null && (i % 8 == 7 || i == slabs.Count - 1)) progress.Report($"eval: slab {i + 1}/{slabs.Count}");
        }
        return SegmentationMetrics.From(table);
    }
}
