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
    public bool Complete => Summary.Complete;
    public double Seconds => Summary.Seconds;
    public StitchSummary? Stitch => Summary.Stitch;
    public RunSettings? Settings => Summary.Settings;

    /// <summary>The input image as PATH:dataset (run.json's, else the summary's settings), or null.</summary>
    public string? Input => Manifest.GetValueOrDefault("input") ?? Settings?.Manifest.GetValueOrDefault("input");

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
