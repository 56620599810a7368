using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Experiments.Reproductions;

/// <summary>
/// The copy-memory task's scoring, shared by every experiment that uses it (<see cref="TcnExperiment"/>,
/// <see cref="WaveRnnExperiment"/>): 10 digits in 1 … 8, T blanks, a marker, then the 10 digits to recall
/// (<see cref="Data.SyntheticTasks.Copy"/>).
/// </summary>
public static class CopyMemory
{
    /// <summary>Digits to remember.</summary>
    public const int Digits = 10;

    /// <summary>Digit values 1 … 8 (0 is the blank, 9 the marker).</summary>
    public const int Symbols = 8;

    /// <summary>
    /// The loss of the best predictor that remembers nothing: the blank with certainty for the first T + 10 steps
    /// (0 nats each), uniform over the 8 digits for the last 10 (ln 8 each), averaged over all T + 20 steps.
    /// </summary>
    public static double BaselineLoss(int delay) => Digits * Math.Log(Symbols) / (delay + 2 * Digits);

    /// <summary>Mean cross-entropy over every step of every sequence: logits [batch, time, classes], targets [batch, time].</summary>
    public static Tensor Loss(Tensor logits, Tensor targets)
    {
        using var scope = NewScope();
        return scope.Keep(F.CrossEntropy(logits.Flatten(0, 1), targets.Flatten()));
    }
}
