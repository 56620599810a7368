using Research.Torch;
using static Research.Torch.Torch;

namespace Research.Models.Audio;

/// <summary>
/// The streaming form of a <see cref="KeywordSpotter"/> (Rybakov et al., 2020): the same weights, fed chunks of any number
/// of frames, give the same logits frame for frame as the non-streaming network on the whole input. State between chunks:
/// <code>
///   buffer_i = the last (k − 1)·d_i inputs of convolution i      (zeros at the start = the causal zero padding)
///   conv_i(chunk) = conv_i([buffer_i ; chunk]) without padding,  buffer_i ← last (k − 1)·d_i frames of [buffer_i ; chunk]
///   g = the GRU state after the last frame                       (zeros at the start)
/// </code>
/// The wrapper does not own the network; it holds its state tensors until <see cref="Reset"/> or <see cref="Dispose"/>.
/// </summary>
public sealed class StreamingKeywordSpotter : IDisposable
{
    private readonly Tensor?[] _buffers;
    private Tensor? _state;

    /// <summary>Wraps <paramref name="model"/> (evaluation: no gradients are recorded by <see cref="Step"/>).</summary>
    public StreamingKeywordSpotter(KeywordSpotter model)
    {
        Model = model;
        _buffers = new Tensor?[model.Config.Layers];
    }

    /// <summary>The wrapped network.</summary>
    public KeywordSpotter Model { get; }

    /// <summary>Frames seen since the start or the last <see cref="Reset"/>.</summary>
    public long Frames { get; private set; }

    /// <summary>Logits [batch, n, classes] of the next <c>n</c> frames [batch, mels, n] of the stream.</summary>
    public Tensor Step(Tensor chunk)
    {
        if (chunk.Dim != 3 || chunk.Size(1) != Model.Config.Mels)
            throw new ArgumentException($"expected a chunk [batch, {Model.Config.Mels}, frames], got {chunk.ShapeString}", nameof(chunk));
        using var scope = NewScope();
        using var noGrad = NoGrad();
        long batch = chunk.Size(0), n = chunk.Size(2);
        var h = chunk;
        for (int i = 0; i < Model.Config.Layers; i++)
        {
            int context = Model.Config.Context(i);
            _buffers[i] ??= Tensor.Zeros([batch, h.Size(1), context], h.DType, h.Device).DetachFromScope();
            var input = Tensor.Cat([_buffers[i]!, h], 2);                                                     // [batch, C_in, context + n]
            var next = input.Narrow(2, input.Size(2) - context, context).Contiguous().DetachFromScope();
            _buffers[i]!.Dispose();
            _buffers[i] = next;
            h = Model.Convs[i].Forward(input).Relu();                                                        // [batch, C, n]
        }
        var (g, state) = Model.Gru.Forward(h.Transpose(1, 2), _state);                                       // [batch, n, hidden]
        _state?.Dispose();
        _state = state.DetachFromScope();
        Frames += n;
        return scope.Keep(Model.Output.Forward(g));                                                          // [batch, n, classes]
    }

    /// <summary>Forgets the stream: zero buffers and GRU state.</summary>
    public void Reset()
    {
        for (int i = 0; i < _buffers.Length; i++) { _buffers[i]?.Dispose(); _buffers[i] = null; }
        _state?.Dispose();
        _state = null;
        Frames = 0;
    }

    /// <summary>Frees the state tensors.</summary>
    public void Dispose() => Reset();
}
