using Ffn.Model.Geometry;

namespace Ffn.Model.Inference;

/// <summary>One network evaluation: which seed attempt it belonged to and where the FoV was centred.</summary>
public readonly record struct FovStep(int Attempt, Vec3i Center);
