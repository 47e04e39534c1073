using Ffn.Tests.Model.Checkpoints;
using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

/// <summary>Every flag naming an output folder creates it as `mkdir -p` would; a file in the way is one line, exit 2.</summary>
public class OutputDirectoryTests
{
    [Fact]
    public void Model_import_creates_its_out_folder()
    {
        using var tmp = new TempDir();
        var outDir = tmp.File("models/google/fib25");
        var r = Cli.Run("model", "import", CheckpointImportTests.GoogleCkpt, "--out", outDir, "--name", "fib25");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.True(File.Exists(Path.Combine(outDir, "fib25.pkl")) && File.Exists(Path.Combine(outDir, "fib25.json")));
    }

    [Fact]
    public void Output_files_get_their_folders()
    {
        using var tmp = new TempDir();
        var synth = Cli.Run("synth", tmp.File("data/train/vol.h5"), "--shape", "8,16,16");
        Assert.True(synth.ExitCode == 0, synth.Err);
        Assert.True(File.Exists(tmp.File("data/train/vol.h5")));
        var part = Cli.Run("partition", "--input-volume", tmp.File("data/train/vol.h5") + ":labels", "--output-volume", tmp.File("prep/p/af.h5") + ":af",
            "--lom-radius", "2,2,2", "--min-size", "0");
        Assert.True(part.ExitCode == 0, part.Err);
        Assert.True(File.Exists(tmp.File("prep/p/af.h5")));
    }

    [Theory]
    [InlineData("model-import")]
    [InlineData("train")]
    [InlineData("infer")]
    public void A_file_where_a_folder_belongs_is_one_line(string command)
    {
        using var tmp = new TempDir();
        var blocker = tmp.File("blocker");
        File.WriteAllText(blocker, "keep me");
        string[] args = command switch
        {
            "model-import" => ["model", "import", CheckpointImportTests.GoogleCkpt, "--out", blocker],
            "train" => ["train", "--train-coords", tmp.File("c.npy"), "--data-volumes", "x.h5:raw", "--label-volumes", "x.h5:labels", "--checkpoints", Path.Combine(blocker, "ckpt")],
            _ => ["infer", "--image-path", TestData.SharedFile("testvectors", "inference_input_ts1_64x96x96.h5") + ":raw", "--model", "m.pkl", "--seg-result-path", blocker],
        };
        if (command == "train") TrainingSetup(tmp);
        var r = Cli.Run(args);
        Assert.Equal(2, r.ExitCode);
        Assert.Single(r.ErrLines);
        Assert.Contains("is a file, not a directory", r.Err);
        Assert.Equal("keep me", File.ReadAllText(blocker));
    }

    [Fact]
    public void A_failed_command_removes_the_folders_it_made()
    {
        using var tmp = new TempDir();
        var image = TestData.SharedFile("testvectors", "inference_input_ts1_64x96x96.h5") + ":raw";
        var infer = Cli.Run("infer", "--image-path", image, "--model", tmp.File("missing.pkl"), "--seg-result-path", tmp.File("new/seg"));
        Assert.Equal(2, infer.ExitCode);
        Assert.False(Directory.Exists(tmp.File("new")), "infer left the folder it made");

        TrainingSetup(tmp);
        var train = Cli.Run("train", "--train-coords", tmp.File("c.npy"), "--data-volumes", tmp.File("x.h5") + ":nope",
            "--label-volumes", tmp.File("x.h5") + ":labels", "--checkpoints", tmp.File("runs/a/ck"));
        Assert.Equal(2, train.ExitCode);
        Assert.False(Directory.Exists(tmp.File("runs")), "train left the folder it made");

        // A folder that existed before is never removed, even when empty.
        Directory.CreateDirectory(tmp.File("mine"));
        Assert.Equal(2, Cli.Run("infer", "--image-path", image, "--model", tmp.File("missing.pkl"), "--seg-result-path", tmp.File("mine")).ExitCode);
        Assert.True(Directory.Exists(tmp.File("mine")));
    }

    [Fact]
    public void Writing_an_hdf5_output_never_deletes_other_datasets()
    {
        using var tmp = new TempDir();
        Assert.Equal(0, Cli.Run("synth", tmp.File("x.h5"), "--shape", "8,16,16").ExitCode);
        PythonOracle.Run("""
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], 'w') as f:
                f['keep/me'] = np.arange(6, dtype=np.int32)
                f['af'] = np.zeros((2, 2, 2), np.uint8)
            """, tmp.File("p.h5"));
        string Datasets() => PythonOracle.Run("""
            import sys, h5py
            names = []
            h5py.File(sys.argv[1], 'r').visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
            print(' '.join(sorted(names)))
            """, tmp.File("p.h5")).Trim();
        string[] Partition(string output) =>
            ["partition", "--input-volume", tmp.File("x.h5") + ":labels", "--output-volume", output, "--lom-radius", "2,2,2", "--min-size", "0"];

        var r = Cli.Run(Partition(tmp.File("p.h5") + ":af"));
        Assert.Equal(2, r.ExitCode);
        Assert.Single(r.ErrLines);
        Assert.Contains("already holds dataset keep/me", r.Err);
        Assert.Equal("af keep/me", Datasets());

        var synth = Cli.Run("synth", tmp.File("p.h5"), "--shape", "8,16,16");
        Assert.Equal(2, synth.ExitCode);
        Assert.Equal("af keep/me", Datasets());

        // A file holding only what is written again is replaced, as a rerun expects.
        Assert.Equal(0, Cli.Run(Partition(tmp.File("q.h5") + ":af")).ExitCode);
        var again = Cli.Run(Partition(tmp.File("q.h5") + ":af"));
        Assert.True(again.ExitCode == 0, again.Err);
    }

    private static void TrainingSetup(TempDir tmp)
    {
        Assert.Equal(0, Cli.Run("synth", tmp.File("x.h5"), "--shape", "16,24,24").ExitCode);
        Assert.Equal(0, Cli.Run("partition", "--input-volume", tmp.File("x.h5") + ":labels", "--output-volume", tmp.File("p.h5") + ":af",
            "--lom-radius", "2,2,2", "--min-size", "0").ExitCode);
        Assert.Equal(0, Cli.Run("build-coordinates", "--partition-volumes", "v:" + tmp.File("p.h5") + ":af", "--coordinate-output", tmp.File("c.npy"),
            "--margin", "5,5,5").ExitCode);
    }
}
