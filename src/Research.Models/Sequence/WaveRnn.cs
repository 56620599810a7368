using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.Sequence;

/// <summary>How the circular recurrent kernel of a <see cref="WaveRnn"/> starts.</summary>
public enum RingInit
{
    /// <summary>u = [1, 0, 0] on every channel's own ring: h_t[j] = h_{t−1}[j − 1], a wave one unit per step (the wRNN).</summary>
    Shift,

    /// <summary>u = [0, 1, 0]: h_t[j] = h_{t−1}[j], activity stays where it entered (the wave-free control, same parameters).</summary>
    Identity,
}

/// <summary>
/// The Wave-RNN of Keller, Muller, Sejnowski &amp; Welling (2023), "Traveling Waves Encode the Recent Past and Enhance
/// Sequence Learning": the hidden state is <see cref="Channels"/> rings of <see cref="RingSize"/> units and the recurrent
/// weights are a circular convolution over each ring,
/// <code>
///   h_t = relu(u ⊛ h_{t−1} + V x_t + b)       u: [channels, channels, k], ⊛ circular over the ring
///   y_t = W h_t + c
/// </code>
/// With u initialised as a shift (<see cref="RingInit.Shift"/>) and V writing every input at ring position 0 only
/// ("solo" initialisation), each input starts a bump that travels one unit per step: the ring holds the last
/// <see cref="RingSize"/> inputs side by side, an invertible short-term memory.
/// </summary>
public sealed class WaveRnn : Module<Tensor, Tensor>
{
    /// <summary>Creates the network.</summary>
    public WaveRnn(int inputs, int outputs, int ringSize, int channels, int kernelSize = 3, RingInit init = RingInit.Shift,
        DType? dtype = null, Device? device = null)
    {
        if (ringSize < kernelSize) throw new ArgumentOutOfRangeException(nameof(ringSize), ringSize, $"must be ≥ the kernel size {kernelSize}");
        if (kernelSize < 3 || kernelSize % 2 == 0) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "must be odd and ≥ 3");
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "must be ≥ 1");
        RingSize = ringSize;
        Channels = channels;
        Init = init;
        Encoder = new Linear(inputs, channels * ringSize, dtype: dtype, device: device);
        Ring = new Conv1d(channels, channels, kernelSize, padding: kernelSize / 2, paddingMode: PaddingMode.Circular, dtype: dtype, device: device);
        Readout = new Linear(channels * ringSize, outputs, dtype: dtype, device: device);
        using var noGrad = NoGrad();
        using var scope = NewScope();
        Encoder.Weight.Zero_();
        Encoder.Weight.View(channels, ringSize, inputs).Select(1, 0).Fill_(1.0);      // V: every input enters at ring position 0
        Encoder.Bias!.Zero_();
        int tap = init == RingInit.Shift ? kernelSize / 2 - 1 : kernelSize / 2;     // out[j] = Σ_m u[m] h[j + m − k/2]
        Ring.Weight.Zero_();
        for (int c = 0; c < channels; c++) Ring.Weight[c, c, tap].Fill_(1.0);
        Ring.Bias!.Zero_();
    }

    /// <summary>Units per ring (n).</summary>
    public int RingSize { get; }

    /// <summary>Rings (channels c); the hidden state has c·n units.</summary>
    public int Channels { get; }

    /// <summary>How the recurrent kernel started.</summary>
    public RingInit Init { get; }

    /// <summary>V, b: input → every unit of every ring.</summary>
    public Linear Encoder { get; }

    /// <summary>u: the circular convolution over the rings (the recurrent weights).</summary>
    public Conv1d Ring { get; }

    /// <summary>W, c: hidden state → outputs at every step.</summary>
    public Linear Readout { get; }

    /// <summary>
    /// u ⊛ as one matrix on the flattened state [c·n, c·n]: W[(c, j), (c', j')] = Σ_m u[c, c', m] [j' = j + m − k/2 mod n]. Applying
    /// it is the circular convolution (without its bias), and the whole recurrence runs as one libtorch RNN loop (<see cref="ReluRecurrence"/>).
    /// </summary>
    public Tensor RecurrentMatrix()
    {
        using var scope = NewScope();
        long k = Ring.KernelSize[0], n = RingSize, c = Channels;
        var shifts = new float[k * n * n];                                                // S_m[j, j'] = [j' = j + m − k/2 mod n]
        for (long m = 0; m < k; m++)
            for (long j = 0; j < n; j++)
                shifts[(m * n + j) * n + ((j + m - k / 2) % n + n) % n] = 1;
        var s = Tensor.From(shifts, k, n * n).To(Ring.Weight.DType).To(Ring.Weight.Device);
        var w = Ring.Weight.Reshape(c * c, k).Matmul(s).View(c, c, n, n);                  // [c, c', j, j']
        return scope.Keep(w.Permute(0, 2, 1, 3).Reshape(c * n, c * n));
    }

    /// <summary>Hidden states h_1 … h_T from h_0 = 0. x: [batch, time, inputs] → [batch, time, channels, ring].</summary>
    public Tensor States(Tensor x)
    {
        using var scope = NewScope();
        var ringBias = Ring.Bias!.RepeatInterleave(RingSize);                            // β_c on every unit of ring c
        var h = ReluRecurrence.Run(x, Encoder.Weight, RecurrentMatrix(), Encoder.Bias!, ringBias);   // [batch, time, c·n]
        return scope.Keep(h.View(x.Size(0), x.Size(1), Channels, RingSize));
    }

    /// <summary>Outputs y_t at every step. x: [batch, time, inputs] → [batch, time, outputs].</summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        var h = States(x);
        return scope.Keep(Readout.Forward(h.Flatten(2)));
    }
}
