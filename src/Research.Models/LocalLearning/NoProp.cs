using Research.Models.Diffusion;
using Research.Torch;
using Research.Torch.NN;
using static Research.Torch.Torch;

namespace Research.Models.LocalLearning;

/// <summary>Sizes and loss weight of a <see cref="NoProp"/> classifier.</summary>
/// <param name="Inputs">Features of x.</param>
/// <param name="Classes">Number of classes.</param>
/// <param name="Hidden">Width of every block's MLP.</param>
/// <param name="Steps">T: the number of blocks (denoising steps).</param>
/// <param name="EmbeddingDim">Size d of a label embedding (null: one per class, d = classes).</param>
/// <param name="LearnEmbedding">Learn the class embeddings U (trained with the classifier on the sum of all losses); false keeps them fixed.</param>
/// <param name="Eta">η, the hyper-parameter that scales the denoising terms of the ELBO.</param>
public sealed record NoPropConfig(long Inputs, long Classes, long Hidden = 128, int Steps = 10, long? EmbeddingDim = null,
    bool LearnEmbedding = false, double Eta = 0.1)
{
    /// <summary>d: the embedding size actually used.</summary>
    public long Dim => EmbeddingDim ?? Classes;
}

/// <summary>
/// NoProp-DT (Li, Teh and Pascanu, 2025, "NoProp: Training Neural Networks without Back-propagation or Forward-propagation"):
/// a classifier made of T blocks that never exchange a signal during training. Each class y has an embedding u_y (a row of
/// U). Block t is trained alone to denoise a label embedding drawn at noise level t − 1 of a <see cref="NoiseSchedule"/>:
/// <code>
///   z_{t−1} ~ q(z_{t−1} | y) = N(√ᾱ_{t−1} u_y, (1 − ᾱ_{t−1}) I)          a fixed noisy target, not block t−1's output
///   L_t     = η/2 · (SNR(t) − SNR(t−1)) · ‖û_θt(z_{t−1}, x) − u_y‖²       block t's local loss, own optimiser
///   L_out   = −log p̂_out(y | z_T) with z_T ~ q(z_T | y),  + KL(q(z_0 | y) ‖ N(0, I))   the linear classifier's loss
/// </code>
/// Σ_t L_t + L_out is the paper's discrete-time ELBO bound, and block t's parameters appear in L_t only, so the gradient
/// of the whole objective w.r.t. θ_t is the gradient of L_t: no back-propagation through other blocks, and no forward pass
/// through them either. Inference chains the blocks from noise, z_0 ~ N(0, I) (ᾱ_0 = 0),
/// z_t = a_t û_θt(z_{t−1}, x) + b_t z_{t−1} + √c_t ε (the posterior of <see cref="NoiseSchedule.Posterior"/>), and
/// classifies z_T with the linear layer.
/// </summary>
public sealed class NoProp : Module<Tensor, Tensor>
{
    /// <summary>Creates T blocks, the classifier and the class embeddings (one-hot rows padded with zeros to d).</summary>
    public NoProp(NoPropConfig config, NoiseSchedule? schedule = null, DType? dtype = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Dim < config.Classes) throw new ArgumentException($"the embedding size d = {config.Dim} must be at least the number of classes {config.Classes} (one-hot-like embeddings)", nameof(config));
        Schedule = schedule ?? NoiseSchedule.Cosine(config.Steps);
        if (Schedule.Steps != config.Steps) throw new ArgumentException($"the schedule has {Schedule.Steps} steps, the config {config.Steps}", nameof(schedule));
        Config = config;
        Blocks = Enumerable.Range(0, config.Steps).Select(_ => new NoPropBlock(config.Inputs, config.Dim, config.Classes, config.Hidden, dtype, device)).ToArray();
        Classifier = new Linear(config.Dim, config.Classes, dtype: dtype, device: device);
        using var scope = NewScope();
        var u = Tensor.Eye(config.Classes, config.Dim, dtype, device);
        if (config.LearnEmbedding) RegisterParameter("embedding", new Parameter(u));
        else RegisterBuffer("embedding", u);
    }

    /// <summary>Sizes and η.</summary>
    public NoPropConfig Config { get; }

    /// <summary>The noise levels ᾱ_0 … ᾱ_T.</summary>
    public NoiseSchedule Schedule { get; }

    /// <summary>Block t is <c>Blocks[t − 1]</c>, t = 1 … T.</summary>
    public NoPropBlock[] Blocks { get; }

    /// <summary>p̂_out(y | z_T): a linear layer d → classes.</summary>
    public Linear Classifier { get; }

    /// <summary>U [classes, d]: the class embeddings (a parameter if learned, else a buffer).</summary>
    public Tensor Embedding => Param("embedding") ?? Buffer("embedding")!;

    /// <summary>T.</summary>
    public int Steps => Blocks.Length;

    /// <summary>The block of step t (1 … T).</summary>
    public NoPropBlock Block(int t) =>
        t >= 1 && t <= Steps ? Blocks[t - 1] : throw new ArgumentOutOfRangeException(nameof(t), t, $"blocks are numbered 1 to T = {Steps}");

    /// <summary>What the head optimiser trains: the classifier, and U when it is learned.</summary>
    public IEnumerable<Parameter> HeadParameters() =>
        Param("embedding") is { } u ? Classifier.Parameters().Append(u) : Classifier.Parameters();

    /// <summary>The weight η/2 · (SNR(t) − SNR(t−1)) of block t's squared error in the ELBO.</summary>
    public double LossWeight(int t) => Config.Eta / 2 * Schedule.SnrGain(t);

    /// <summary>
    /// Block t's denoising error mean_batch ‖û_θt(z_{t−1}, x) − u_y‖², with z_{t−1} ~ q(z_{t−1} | y) drawn from the
    /// schedule (from <paramref name="noise"/> [batch, d] if given). No other block is run; the noisy input carries no gradient.
    /// </summary>
    public Tensor DenoisingError(int t, Tensor x, Tensor labels, Tensor? noise = null)
    {
        var block = Block(t);
        using var scope = NewScope();
        var u = LabelEmbeddings(labels, x);
        var z = Schedule.Sample(u.Detach(), t - 1, noise);
        var uHat = block.Predict(x, z, Embedding);
        return scope.Keep((uHat - u).Square().Sum(-1).Mean());
    }

    /// <summary>Block t's local loss L_t = <see cref="LossWeight"/>(t) · <see cref="DenoisingError"/>: its gradient reaches block t (and U if learned) only.</summary>
    public Tensor BlockLoss(int t, Tensor x, Tensor labels, Tensor? noise = null)
    {
        using var error = DenoisingError(t, x, labels, noise);
        return error * LossWeight(t);
    }

    /// <summary>
    /// The classifier's loss: cross-entropy of p̂_out(y | z_T) at z_T ~ q(z_T | y) (from <paramref name="noise"/> if given),
    /// plus mean KL(q(z_0 | y) ‖ N(0, I)) (zero when ᾱ_0 = 0). No block is run.
    /// </summary>
    public Tensor ClassifierLoss(Tensor labels, Tensor? noise = null)
    {
        using var scope = NewScope();
        var u = LabelEmbeddings(labels, null);
        var zT = Schedule.Sample(u, Steps, noise);
        return scope.Keep(F.CrossEntropy(Classifier.Forward(zT), labels) + Schedule.PriorKl(u).Mean());
    }

    /// <summary>
    /// Inference: z_0 (given, else N(0, I)), then z_t = a_t û_θt(z_{t−1}, x) + b_t z_{t−1} + √c_t ε for t = 1 … T (ε = 0 when
    /// not <paramref name="stochastic"/>). Returns the T + 1 states z_0 … z_T, each [batch, d].
    /// </summary>
    public Tensor[] Trajectory(Tensor x, Tensor? z0 = null, bool stochastic = true)
    {
        if (x.Dim != 2) throw new ArgumentException($"x must be [batch, {Config.Inputs}], got {x.ShapeString}", nameof(x));
        using var scope = NewScope();
        var states = new Tensor[Steps + 1];
        states[0] = z0 is null ? Tensor.RandN([x.Size(0), Config.Dim], x.DType, x.Device) : z0.Alias();
        if (!states[0].Shape.SequenceEqual(new[] { x.Size(0), Config.Dim }))
            throw new ArgumentException($"z_0 must be [{x.Size(0)}, {Config.Dim}], got {states[0].ShapeString}", nameof(z0));
        for (int t = 1; t <= Steps; t++)
        {
            using var uHat = Blocks[t - 1].Predict(x, states[t - 1], Embedding);
            states[t] = Schedule.Step(t, uHat, states[t - 1], stochastic: stochastic);
        }
        scope.Keep(states);
        return states;
    }

    /// <summary>Class logits of the chained inference (sampled chain, libtorch's global generator): x [batch, inputs] → p̂_out(y | z_T) logits [batch, classes].</summary>
    public override Tensor Forward(Tensor x)
    {
        using var scope = NewScope();
        var states = Trajectory(x);
        return scope.Keep(Classifier.Forward(states[^1]));
    }

    // u_y for every label: rows of U [batch, d].
    private Tensor LabelEmbeddings(Tensor labels, Tensor? x)
    {
        if (labels.Dim != 1) throw new ArgumentException($"labels must be a vector of class indices, got {labels.ShapeString}", nameof(labels));
        if (x is not null && x.Size(0) != labels.Size(0)) throw new ArgumentException($"{x.Size(0)} inputs but {labels.Size(0)} labels", nameof(labels));
        return Embedding.IndexSelect(0, labels);
    }

    protected override string ExtraRepr() => $"steps={Steps}, classes={Config.Classes}, dim={Config.Dim}, learn_embedding={Config.LearnEmbedding}, eta={Config.Eta}";
}
