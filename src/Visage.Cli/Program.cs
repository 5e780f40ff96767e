// Placeholder until the CLI lands: see src/Visage.Cli.
Console.Error.WriteLine("visage: not built yet");
return 1;
