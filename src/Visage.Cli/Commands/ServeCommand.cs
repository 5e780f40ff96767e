using System.CommandLine;

namespace Visage.Cli.Commands;

// Placeholder: the service engineer replaces this with the real `visage serve`.
public static class ServeCommand
{
    public static Command Create()
    {
        var cmd = new Command("serve", "Start the Visage service");
        cmd.SetAction(_ => { Console.Error.WriteLine("visage serve: not implemented yet"); return 1; });
        return cmd;
    }
}
