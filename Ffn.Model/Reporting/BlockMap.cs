using System.Globalization;
using System.Net;
using System.Text;

namespace Ffn.Model.Reporting;

/// <summary>
/// The block map: one SVG panel per z layer of blocks, each block a rectangle at its place and size in the volume,
/// coloured by how it went (grey skipped, green done, orange retried, blue reused, red failed, white pending);
/// done and retried blocks get darker the longer they took. Hovering shows the block's details.
/// </summary>
public static class BlockMap
{
    public static readonly Rgb EmptyColor = new(0xd0, 0xd0, 0xd0);
    public static readonly Rgb ReusedColor = new(0x4c, 0x8b, 0xd6);
    public static readonly Rgb FailedColor = new(0xd6, 0x27, 0x28);
    public static readonly Rgb PendingColor = new(0xff, 0xff, 0xff);

    /// <summary>The fill of a block; <paramref name="slowest"/> is the longest time of any block in the run.</summary>
    public static Rgb ColorFor(BlockCategory category, double seconds, double slowest)
    {
        double t = slowest > 0 ? Math.Clamp(seconds / slowest, 0, 1) : 0;
        return category switch
        {
            BlockCategory.Empty => EmptyColor,
            BlockCategory.Reused => ReusedColor,
            BlockCategory.Failed => FailedColor,
            BlockCategory.Pending => PendingColor,
            // Fast = pale, slow = deep: saturation up and value down with time.
            BlockCategory.Done => LabelColors.FromHsv(125, 0.25 + 0.6 * t, 0.92 - 0.4 * t),
            _ => LabelColors.FromHsv(32, 0.35 + 0.6 * t, 1.0 - 0.25 * t),
        };
    }

    public static string Legend()
    {
        var sb = new StringBuilder("<div class=\"legend\">");
        foreach (var (c, label) in new[]
        {
            (ColorFor(BlockCategory.Done, 0, 1), "done (fast)"), (ColorFor(BlockCategory.Done, 1, 1), "done (slowest)"),
            (ColorFor(BlockCategory.Retried, 0.5, 1), "retried"), (ReusedColor, "reused from an earlier run"),
            (EmptyColor, "skipped (empty)"), (FailedColor, "failed"), (PendingColor, "not finished"),
        })
            sb.Append(CultureInfo.InvariantCulture, $"<span><i style=\"background:{c.Hex}\"></i>{WebUtility.HtmlEncode(label)}</span>");
        return sb.Append("</div>").ToString();
    }

    /// <param name="panelSide">Pixels of the longer side of each z-layer panel.</param>
    public static string Svg(IReadOnlyList<Blocks.BlockSummary> blocks, int panelSide = 360)
    {
        if (blocks.Count == 0) return "<p>No blocks.</p>";
        var ci = CultureInfo.InvariantCulture;
        int extY = blocks.Max(b => b.CoreStart.Y + b.CoreSize.Y), extX = blocks.Max(b => b.CoreStart.X + b.CoreSize.X);
        double scale = (double)panelSide / Math.Max(extY, extX);
        double slowest = blocks.Max(b => b.Seconds);
        var sb = new StringBuilder("<div class=\"blockmap\">");
        foreach (var layer in blocks.GroupBy(b => b.Grid.Z).OrderBy(g => g.Key))
        {
            var first = layer.First();
            double w = extX * scale, h = extY * scale;
            sb.Append(ci, $"<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w + 2:F0}\" height=\"{h + 2:F0}\" viewBox=\"-1 -1 {w + 2:F1} {h + 2:F1}\">");
            foreach (var b in layer.OrderBy(b => b.Index))
            {
                double x = b.CoreStart.X * scale, y = b.CoreStart.Y * scale, bw = b.CoreSize.X * scale, bh = b.CoreSize.Y * scale;
                var fill = ColorFor(b.Category(), b.Seconds, slowest);
                var tip = $"block {b.Index} {b.Name} grid {b.Grid}: {b.Category().ToString().ToLowerInvariant()}, {b.Attempts} attempt(s), " +
                          string.Create(ci, $"{b.Seconds:F1} s") + (b.Worker is { } wk ? $", {wk[(wk.LastIndexOf('/') + 1)..]}" : "") + (b.Device is { } dv ? $" on {dv}" : "") +
                          (b.Errors.Count > 0 ? "; " + string.Join("; ", b.Errors) : "");
                sb.Append(ci, $"<g data-block=\"{b.Index}\" data-category=\"{b.Category().ToString().ToLowerInvariant()}\"><title>{WebUtility.HtmlEncode(tip)}</title>");
                sb.Append(ci, $"<rect x=\"{x:F1}\" y=\"{y:F1}\" width=\"{bw:F1}\" height=\"{bh:F1}\" fill=\"{fill.Hex}\" stroke=\"#333\" stroke-width=\"1\"/>");
                if (bw >= 34 && bh >= 18)
                {
                    var label = b.Category() switch
                    {
                        BlockCategory.Empty => "empty",
                        BlockCategory.Reused => "reused",
                        BlockCategory.Failed => "failed",
                        BlockCategory.Pending => "-",
                        _ => string.Create(ci, $"{b.Seconds:F0} s"),
                    };
                    var ink = b.Category() is BlockCategory.Failed || (b.Category() is BlockCategory.Done or BlockCategory.Retried && b.Seconds > 0.6 * slowest) ? "#fff" : "#111";
                    sb.Append(ci, $"<text x=\"{x + bw / 2:F1}\" y=\"{y + bh / 2 + 4:F1}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{ink}\">{label}</text>");
                }
                sb.Append("</g>");
            }
            sb.Append(ci, $"</svg><figcaption>z blocks {first.Grid.Z} (z {first.CoreStart.Z}..{first.CoreStart.Z + first.CoreSize.Z - 1}); y down, x across</figcaption></figure>");
        }
        return sb.Append("</div>").ToString();
    }
}
