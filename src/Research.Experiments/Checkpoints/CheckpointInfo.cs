namespace Research.Experiments;

/// <summary>A complete checkpoint on disk: a directory holding the tensor file and progress.json.</summary>
public sealed record CheckpointInfo(string Name, string Directory, long Step);
