namespace Ffn.Model.Training;

/// <summary>
/// What the trainer reports every --log-every steps, over the steps since the last report: mean loss, pooled
/// precision/recall/F1/accuracy of the FoV predictions, rates, the share of time the network waited for data.
/// </summary>
public sealed record TrainingProgress(
    long Step, long MaxSteps, double Loss, double Precision, double Recall, double F1, double Accuracy, double LearningRate,
    double StepsPerSecond, double FovsPerSecond, double ExamplesPerSecond, double DataWaitFraction, TimeSpan? Eta);

/// <summary>F1 and friends on held-out examples: per FoV step (as in training), and over each example's whole
/// canvas after all its FoV moves (the object as the network grew it).</summary>
public sealed record HeldOutResult(long Step, int Examples, long FovSteps, double FovLoss, double FovPrecision, double FovRecall, double FovF1,
    double ObjectPrecision, double ObjectRecall, double ObjectF1);
