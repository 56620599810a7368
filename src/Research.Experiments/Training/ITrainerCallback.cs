namespace Research.Experiments;

/// <summary>Hooks into a <see cref="Trainer"/>'s loop; every method has an empty default.</summary>
public interface ITrainerCallback
{
    /// <summary>Before the first step (<paramref name="startStep"/> &gt; 0 when resuming).</summary>
    void OnStart(long startStep, long maxSteps) { }

    /// <summary>After every completed step, with the number of steps now done.</summary>
    void OnStep(long stepsDone, long maxSteps, StepResult result) { }

    /// <summary>After an evaluation.</summary>
    void OnEvaluate(long stepsDone, IReadOnlyDictionary<string, double> metrics) { }

    /// <summary>When training ends, however it ends.</summary>
    void OnEnd(TrainingResult result) { }
}
