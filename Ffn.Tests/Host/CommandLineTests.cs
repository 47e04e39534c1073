using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

/// <summary>Usage errors common to every command: unknown options, and the command named as typed.</summary>
public class CommandLineTests
{
    /// <summary>An optional positional argument used to take the unknown option as its value.</summary>
    [Theory]
    [InlineData("ffn stats", "stats no-such.h5:u8 --frobnicate")]
    [InlineData("ffn stats", "stats no-such.h5 u8 --frobnicate")]
    [InlineData("ffn run", "run no-such.h5 --frobnicate")]
    [InlineData("ffn model forward", "model forward no-such.pkl --frobnicate")]
    [InlineData("ffn", "--frobnicate")]
    public void UnknownOptionIsNamedBeforeAnythingRuns(string command, string args)
    {
        var r = Cli.Run(args.Split(' '));
        Assert.Equal(2, r.ExitCode);
        Assert.Equal([$"{command}: unknown option --frobnicate", $"Run '{command} --help' for usage."], r.ErrLines);
    }

    [Fact]
    public void OptionValuesAndArgumentsAfterDoubleDashMayStartWithDashes()
    {
        var value = Cli.Run("stats", "--block-shape", "--1,2,3", "no-such.h5:raw");
        Assert.Equal(2, value.ExitCode);
        Assert.DoesNotContain("unknown option", value.Err);
        Assert.StartsWith("ffn: error: --block-shape: ", value.ErrLines[0]);

        var literal = Cli.Run("stats", "--", "--no-such.h5:raw");
        Assert.Equal(["ffn: error: --no-such.h5: no such file"], literal.ErrLines);
    }

    [Fact]
    public void ParseErrorsNameTheSubcommandAsTyped()
    {
        var r = Cli.Run("model", "forward");
        Assert.Equal(2, r.ExitCode);
        Assert.True(r.ErrLines.Length > 1, r.Err);
        Assert.All(r.ErrLines.SkipLast(1), l => Assert.StartsWith("ffn model forward: ", l));
        Assert.Equal("Run 'ffn model forward --help' for usage.", r.ErrLines[^1]);
    }

    /// <summary>NaN passed every range check written as a comparison (`--min-iou NaN` merged nothing, `--retry-backoff NaN` crashed).</summary>
    [Theory]
    [InlineData("ffn run", "run no-such.h5:raw out --min-iou NaN", "--min-iou must be a finite float32 number, got NaN")]
    [InlineData("ffn run", "run no-such.h5:raw out --retry-backoff Infinity", "--retry-backoff must be a finite float32 number, got Infinity")]
    [InlineData("ffn synth", "synth o.h5 --noise 1e300", "--noise must be a finite float32 number, got 1e300")]
    public void Float_flags_must_be_finite_for_every_command(string command, string args, string message)
    {
        var r = Cli.Run(args.Split(' '));
        Assert.Equal(2, r.ExitCode);
        Assert.Equal([$"{command}: {message}", $"Run '{command} --help' for usage."], r.ErrLines);
    }
}
