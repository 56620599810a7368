using Research.Experiments.Audio;

namespace Research.Experiments.Data;

/// <summary>An audio clip with its class label and the voice (speaker) that produced it.</summary>
public sealed record LabeledClip(AudioClip Clip, string Label, int LabelIndex, string Voice);
