using System.CommandLine;
using Visage.Cli.Commands;

var root = new RootCommand("visage — self-hosted face enrollment, verification and identification");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(KeysCommand.Create());
return await root.Parse(args).InvokeAsync();
