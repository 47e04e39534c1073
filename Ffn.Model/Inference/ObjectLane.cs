using Ffn.Model.Geometry;
using Ffn.Model.Inference.MovementPolicies;

namespace Ffn.Model.Inference;

/// <summary>The state of one object being grown on a <see cref="Canvas"/>: its logit canvas, movement queue, extent and FoV buffers.</summary>
internal sealed class ObjectLane
{
    public ObjectLane(Vec3i shape, Vec3i fov, FaceMaxMovementPolicy movement)
    {
        Seed = new float[shape.Product];
        Array.Fill(Seed, float.NaN);
        Movement = movement;
        int n = (int)fov.Product;
        FovImage = new float[n];
        FovSeed = new float[n];
        FovOld = new float[n];
        FovLogits = new float[n];
    }

    public float[] Seed { get; }
    public FaceMaxMovementPolicy Movement { get; }
    public float[] FovImage { get; }
    public float[] FovSeed { get; }
    public float[] FovOld { get; }
    public float[] FovLogits { get; }
    public Box3 Box { get; set; }
    public Box3 Dirty { get; set; } // region of Seed written since the last clear
    public Vec3i Start { get; set; }
    public Vec3i MinPos { get; set; }
    public Vec3i MaxPos { get; set; }
    public int Iterations { get; set; }
    public int Attempt { get; set; }
    public bool Active { get; set; }
}
