using Visage.Cli;

return await VisageCli.RunAsync(args, Console.Out, Console.Error);
