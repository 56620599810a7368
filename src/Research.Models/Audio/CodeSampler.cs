using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Audio;

/// <summary>A model's recurrent mode: given the codes [batch] of one step, the logits [batch, classes] for the next.</summary>
public interface ICodeStepper : IDisposable
{
    /// <summary>Advances one step on <paramref name="codes"/> [batch] and returns the next step's logits [batch, classes].</summary>
    Tensor Step(Tensor codes);
}

/// <summary>
/// Autoregressive sampling of quantised audio codes, shared by the models with a recurrent mode (<see cref="WaveNet"/>,
/// <see cref="SaShiMi"/>): prime the stepper with a history, then draw one code per step from softmax(logits / T)
/// (T = 0: the most likely code) with a private generator, so the result depends on the seed only.
/// </summary>
public static class CodeSampler
{
    /// <summary>
    /// Samples <paramref name="samples"/> codes [batch, samples]. The history starts with <paramref name="prime"/> codes
    /// [batch, n] or [n] when given, else with one silent code (classes / 2) in each of <paramref name="batch"/> sequences;
    /// every history code but the last is stepped through first. <paramref name="afterStep"/> runs after every step,
    /// prime included (e.g. to record the stepper's state).
    /// </summary>
    public static Tensor Generate(long samples, int seed, double temperature, Tensor? prime, long batch, int classes, Device device,
        Func<long, ICodeStepper> open, Action<ICodeStepper>? afterStep = null)
    {
        if (samples < 0) throw new ArgumentOutOfRangeException(nameof(samples), samples, "must be ≥ 0");
        if (temperature < 0) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "must be ≥ 0");
        var random = new Random(seed);
        using var noGrad = NoGrad();
        using var scope = NewScope();
        var history = prime is null
            ? Tensor.Full([batch, 1], classes / 2, DType.Int64, device)
            : (prime.Dim == 1 ? prime.Unsqueeze(0) : prime).To(device).Long();   // [batch, n]
        if (history.Size(1) == 0) throw new ArgumentException("the prime must hold at least one code", nameof(prime));
        using var stepper = open(history.Size(0));
        for (long t = 0; t < history.Size(1) - 1; t++)
            using (NewScope())
            {
                stepper.Step(history.Select(1, t));
                afterStep?.Invoke(stepper);
            }
        var current = history.Select(1, history.Size(1) - 1);                    // [batch]
        var result = new Tensor[samples];
        for (long t = 0; t < samples; t++)
        {
            using var step = NewScope();
            var logits = stepper.Step(current);                                   // [batch, classes]
            afterStep?.Invoke(stepper);
            current = temperature == 0 ? logits.ArgMax(1) : Sample(logits / temperature, random);   // [batch]
            result[t] = step.Keep(current);
        }
        return scope.Keep(samples == 0 ? Tensor.Zeros([history.Size(0), 0], DType.Int64, device) : Tensor.Stack(result, 1));
    }

    /// <summary>One draw per row of softmax(logits) [batch, classes]: the number of CDF values below u ~ U(0, 1).</summary>
    public static Tensor Sample(Tensor logits, Random random)
    {
        using var scope = NewScope();
        var cdf = logits.Double().Softmax(1).CumSum(1);                           // [batch, classes]
        var u = new double[logits.Size(0)];
        for (int i = 0; i < u.Length; i++) u[i] = random.NextDouble();
        var below = cdf < Tensor.From(u, u.Length, 1).To(logits.Device);
        return scope.Keep(below.Sum(dim: 1).Clamp(0, logits.Size(1) - 1));
    }
}
