using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ffn.Model.Reporting;

namespace Ffn.Tests.Model.Reporting;

public class BlockMapTests
{
    private static Ffn.Model.Blocks.BlockSummary Block(int i, string state, int attempts, double seconds) => Ffn.Model.Blocks.BlockSummary.FromJson(JsonNode.Parse($$"""
        {"index": {{i}}, "name": "seg_0_0_{{i * 10}}", "grid_zyx": [0, 0, {{i}}], "core_start_zyx": [0, 0, {{i * 10}}],
         "core_size_zyx": [10, 10, 10], "state": "{{state}}", "attempts": {{attempts}}, "worker": "w1", "seconds": {{seconds}},
         "counters": {"network-evaluations": 5} }
        """)!);

    [Fact]
    public void Each_state_gets_its_own_colour_family_and_slow_blocks_are_darker()
    {
        var blocks = new[]
        {
            Block(0, "empty", 0, 0), Block(1, "done", 1, 2), Block(2, "done", 1, 20), Block(3, "done", 3, 10),
            Block(4, "reused", 0, 0), Block(5, "failed", 3, 4), Block(6, "running", 1, 0),
        };
        Assert.Equal(
            [BlockCategory.Empty, BlockCategory.Done, BlockCategory.Done, BlockCategory.Retried, BlockCategory.Reused, BlockCategory.Failed, BlockCategory.Pending],
            blocks.Select(b => b.Category()));

        // The fill of every block as the SVG draws it, found by its data-block attribute.
        var svg = BlockMap.Svg(blocks);
        var fills = Regex.Matches(svg, "data-block=\"(\\d+)\"[^>]*>.*?<rect[^>]*fill=\"#([0-9a-f]{6})\"")
            .ToDictionary(m => int.Parse(m.Groups[1].Value), m => Convert.FromHexString(m.Groups[2].Value));
        Assert.Equal(7, fills.Count);
        static (int R, int G, int B) C(byte[] x) => (x[0], x[1], x[2]);
        var empty = C(fills[0]);
        Assert.True(empty.R == empty.G && empty.G == empty.B && empty.R > 150, "empty: light grey");
        foreach (var i in new[] { 1, 2 })
        {
            var d = C(fills[i]);
            Assert.True(d.G > d.R && d.G > d.B, $"done block {i}: green");
        }
        Assert.True(fills[2].Sum(b => b) < fills[1].Sum(b => b), "the slower done block is darker");
        var retried = C(fills[3]);
        Assert.True(retried.R > retried.G && retried.G > retried.B, "retried: orange");
        var reused = C(fills[4]);
        Assert.True(reused.B > reused.R && reused.B > reused.G, "reused: blue");
        var failed = C(fills[5]);
        Assert.True(failed.R > 2 * failed.G && failed.R > 2 * failed.B, "failed: red");
        Assert.Equal((255, 255, 255), C(fills[6]));
        Assert.Equal(7, fills.Values.Select(Convert.ToHexString).Distinct().Count());
        Assert.Contains("data-category=\"retried\"", svg);
    }

    [Fact]
    public void Label_colours_are_deterministic_and_neighbouring_ids_differ()
    {
        Assert.Equal(LabelColors.For(12345), LabelColors.For(12345));
        int distinct = 0;
        for (ulong id = 1; id <= 200; id++)
        {
            var a = LabelColors.For(id);
            var b = LabelColors.For(id + 1);
            if (Math.Abs(a.R - b.R) + Math.Abs(a.G - b.G) + Math.Abs(a.B - b.B) > 60) distinct++;
        }
        Assert.True(distinct >= 180, $"only {distinct} of 200 neighbouring id pairs have clearly different colours");
    }
}
