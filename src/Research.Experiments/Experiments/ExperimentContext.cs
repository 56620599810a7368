using Research.Torch;

namespace Research.Experiments;

/// <summary>What an experiment gets to run with: scale, device, its run directory, a metrics sink, cancellation and callbacks.</summary>
public sealed class ExperimentContext
{
    /// <summary>Creates a context around a run.</summary>
    public ExperimentContext(Run run, Scale scale, Device device, ulong seed = 0, CancellationToken cancellation = default,
        IEnumerable<ITrainerCallback>? callbacks = null, Research.Torch.Distributed.ProcessGroup? group = null)
    {
        Group = group;
        Run = run;
        Scale = scale;
        Device = device;
        Seed = seed;
        Cancellation = cancellation;
        Callbacks = callbacks?.ToList() ?? [];
    }

    /// <summary>smoke, cpu or gpu.</summary>
    public Scale Scale { get; }

    /// <summary>Where tensors should live.</summary>
    public Device Device { get; }

    /// <summary>The run seed.</summary>
    public ulong Seed { get; }

    /// <summary>The run (directory, config, checkpoints, log).</summary>
    public Run Run { get; }

    /// <summary>The run directory.</summary>
    public string RunDirectory => Run.Directory;

    /// <summary>The metrics sink; its <see cref="MetricsLog.Stream"/> is what live views bind to.</summary>
    public MetricsLog Metrics => Run.Metrics;

    /// <summary>Stops the experiment (a checkpoint is saved by the trainer).</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>Callbacks every trainer made through <see cref="CreateTrainer"/> gets (e.g. a progress bar).</summary>
    public IReadOnlyList<ITrainerCallback> Callbacks { get; }

    /// <summary>The data-parallel group this run is one rank of (null: one process); trainers made here train over it.</summary>
    public Research.Torch.Distributed.ProcessGroup? Group { get; }

    /// <summary>Picks a value by scale.</summary>
    public T ByScale<T>(T smoke, T cpu, T gpu) => Scale switch { Scale.Smoke => smoke, Scale.Cpu => cpu, _ => gpu };

    /// <summary>
    /// The seeds a multi-seed experiment runs at this scale: <see cref="Seed"/>, <see cref="Seed"/> + 1, … (as many as
    /// <see cref="ByScale{T}"/> picks), so <c>--seed</c> shifts the whole set.
    /// </summary>
    public IReadOnlyList<ulong> Seeds(int smoke, int cpu, int gpu) => Seeds(ByScale(smoke, cpu, gpu));

    /// <summary>
    /// <paramref name="count"/> seeds from <see cref="Seed"/> on: <see cref="Seed"/>, <see cref="Seed"/> + 1, … (for settings
    /// that already chose the count for this scale).
    /// </summary>
    public IReadOnlyList<ulong> Seeds(int count)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "an experiment needs at least one seed");
        return Enumerable.Range(0, count).Select(i => Seed + (ulong)i).ToArray();
    }

    /// <summary>
    /// A trainer with this context's cancellation and callbacks, seeded with <paramref name="seed"/> (one of
    /// <see cref="Seeds(int)"/> in a multi-seed experiment) or else the context's seed.
    /// </summary>
    public Trainer CreateTrainer(TrainerOptions options, ulong? seed = null)
    {
        var trainer = new Trainer(options with { Seed = seed ?? Seed, Cancellation = Cancellation, Group = options.Group ?? Group });
        trainer.Callbacks.AddRange(Callbacks);
        return trainer;
    }
}
