namespace Visage.Cli.Evaluation;

/// <summary>A dataset folder or pairs file the user pointed at that cannot be used (typed, so the CLI prints one line).</summary>
public sealed class DatasetException(string message) : Exception(message);
