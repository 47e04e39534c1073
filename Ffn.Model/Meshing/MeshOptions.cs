namespace Ffn.Model.Meshing;

/// <summary>
/// How a run's meshes are made: from pyramid level <see cref="Level"/> of the segmentation (0 = full resolution,
/// each level 2x2x2 coarser), with <see cref="Smooth"/> Taubin iterations (0 = the raw marching-cubes surface, whose
/// vertices lie on voxel faces), in sub-blocks of at most <see cref="BlockSize"/>³ voxels, on
/// <see cref="Parallelism"/> threads (0 = one per core). Level and smoothing are part of the cache's stamp.
/// </summary>
public sealed record MeshOptions(int Level = 0, int Smooth = 3, int BlockSize = 128, int Parallelism = 0)
{
    public int Threads => Parallelism > 0 ? Parallelism : Environment.ProcessorCount;
}
