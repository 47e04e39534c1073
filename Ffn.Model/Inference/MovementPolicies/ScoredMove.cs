using Ffn.Model.Geometry;

namespace Ffn.Model.Inference.MovementPolicies;

/// <summary>A candidate FoV position and the logit that proposed it.</summary>
public readonly record struct ScoredMove(float Score, Vec3i Position);
