using System.CommandLine;

namespace Visage.Cli.Commands;

// Placeholder: the service engineer replaces this with the real `visage keys`.
public static class KeysCommand
{
    public static Command Create()
    {
        var cmd = new Command("keys", "Manage API keys");
        cmd.SetAction(_ => { Console.Error.WriteLine("visage keys: not implemented yet"); return 1; });
        return cmd;
    }
}
