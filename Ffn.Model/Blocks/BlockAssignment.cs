namespace Ffn.Model.Blocks;

/// <summary>One attempt at one block, handed to one worker.</summary>
public sealed record BlockAssignment(BlockSpec Spec, int Attempt, string Worker);
