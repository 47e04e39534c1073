using Ffn.Model.Geometry;

namespace Ffn.Model.Blocks;

/// <summary>
/// One block of a run: geometry only, never data (daisy's Block). <see cref="Core"/> is the grid cell the block owns
/// in the output (cores tile the volume exactly), <see cref="LabelBox"/> the core grown by the overlap (the box the
/// block's labels cover, seeded and merged with its neighbours'), <see cref="Read"/> the label box grown by the
/// context margin (the image the canvas sees).
/// </summary>
public sealed record BlockSpec(int Index, Vec3i Grid, Box3 Core, Box3 LabelBox, Box3 Read)
{
    /// <summary>FFN-PyTorch's result name: the corner of the tile the block owns.</summary>
    public string Name => $"seg_{Core.Start.Z}_{Core.Start.Y}_{Core.Start.X}";
}
