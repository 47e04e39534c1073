using System.Text.Json;
using Ffn.Model.Blocks;
using Ffn.Model.Stitching;

namespace Ffn.Model.Reporting;

/// <summary>What a finished `ffn run` directory says about itself: summary.json (blocks, totals, stitch figures,
/// settings) and run.json (the run's identity). Only these files are read, never the actor pipeline.</summary>
public sealed class RunRecord
{
    public const string SegmentationFile = "final_result.h5", SegmentationDataset = "segmentation";

    private RunRecord(string dir, RunSummary summary, IReadOnlyDictionary<string, string> manifest)
    {
        Directory = dir;
        Summary = summary;
        Manifest = manifest;
    }

    public string Directory { get; }
    public RunSummary Summary { get; }
    public IReadOnlyDictionary<string, string> Manifest { get; }
    public IReadOnlyList<BlockSummary> Blocks => Summary.Blocks;

    public string SegmentationPath => Path.Combine(Directory, SegmentationFile);

    /// <summary>The stitched segmentation: final_result.h5, else the label image of final_result.zarr, else final_result.tif (null if none).</summary>
    public Volumes.VolumeSpec? Segmentation
    {
        get
        {
            if (File.Exists(SegmentationPath)) return new Volumes.VolumeSpec(SegmentationPath, SegmentationDataset, Volumes.VolumeFormat.Hdf5);
            var zarr = Path.Combine(Directory, "final_result.zarr");
            if (Volumes.Zarr.ZarrGroup.IsArray(Path.Combine(zarr, "labels", Volumes.Zarr.OmeZarrImage.LabelsName, "0")))
                return new Volumes.VolumeSpec(zarr, $"labels/{Volumes.Zarr.OmeZarrImage.LabelsName}/0", Volumes.VolumeFormat.Zarr);
            var tif = Path.Combine(Directory, "final_result.tif");
            return File.Exists(tif) ? new Volumes.VolumeSpec(tif, null, Volumes.VolumeFormat.Tiff) : null;
        }
    }
    public bool Complete => Summary.Complete;
    public double Seconds => Summary.Seconds;
    public StitchSummary? Stitch => Summary.Stitch;
    public RunSettings? Settings => Summary.Settings;

    /// <summary>The input image as PATH:dataset (run.json's, else the summary's settings), or null.</summary>
    public string? Input => Manifest.GetValueOrDefault("input") ?? Settings?.Manifest.GetValueOrDefault("input");

    /// <summary>run.json's region of interest (Z0:Z1,Y0:Y1,X0:X1): where the outputs lie in the input, or null for all of it.</summary>
    public string? Roi => Manifest.GetValueOrDefault("roi_zyx") ?? Settings?.Manifest.GetValueOrDefault("roi_zyx");

    public long Total(string counter) => Summary.Counters.GetValueOrDefault(counter);

    public static RunRecord Load(string dir)
    {
        if (!System.IO.Directory.Exists(dir)) throw new InputException($"{dir}: no such run directory");
        if (!File.Exists(Path.Combine(dir, RunSummary.FileName))) throw new InputException($"{dir}: no {RunSummary.FileName} (not a finished ffn run directory)");
        var summary = RunSummary.Load(dir);
        var manifest = RunManifest.Load(dir)?.Fields ?? new Dictionary<string, string>();
        return new RunRecord(Path.GetFullPath(dir), summary, manifest);
    }
}
