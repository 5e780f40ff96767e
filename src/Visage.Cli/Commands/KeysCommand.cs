using System.CommandLine;
using Visage.Service;
using Visage.Storage;

namespace Visage.Cli.Commands;

/// <summary><c>visage keys create|list|revoke</c>, working on the store directly (the service may be stopped).</summary>
public static class KeysCommand
{
    public static Command Create()
    {
        var cmd = new Command("keys", "Manage API keys in the store (--data / --store)");
        cmd.Subcommands.Add(CreateKey());
        cmd.Subcommands.Add(ListKeys());
        cmd.Subcommands.Add(RevokeKey());
        return cmd;
    }

    static Command CreateKey()
    {
        var name = new Option<string>("--name") { Description = "A name to recognise the key by", Required = true };
        var scopes = new Option<string>("--scopes") { Description = "Comma-separated: admin, write, read, search", DefaultValueFactory = _ => "write,read,search" };
        var workspace = new Option<string?>("--workspace") { Description = "Workspace id (default: the first admin key's workspace)" };
        var (data, store) = (StoreOptions.Data(), StoreOptions.Store());
        var cmd = new Command("create", "Create a key and print it once") { name, scopes, workspace, data, store };
        cmd.SetAction((parse, ct) => RunAsync(parse, data, store, async (keys, st, output) =>
        {
            var parsed = Scopes.Parse(parse.GetValue(scopes)!.Split(','));
            var ws = parse.GetValue(workspace) is { Length: > 0 } w
                ? (await st.GetWorkspaceAsync(w, ct) ?? throw new ValidationFailedException($"Workspace '{w}' does not exist.")).Id
                : await keys.DefaultWorkspaceAsync(ct);
            var created = await keys.CreateAsync(ws, parse.GetValue(name)!, parsed, null, ct);
            await output.WriteLineAsync(created.Key);
            await parse.InvocationConfiguration.Error.WriteLineAsync(
                $"created {created.Record.Id} in {ws} with scopes {string.Join(",", parsed)}; the key above is shown only this once");
        }));
        return cmd;
    }

    static Command ListKeys()
    {
        var workspace = new Option<string?>("--workspace") { Description = "Only this workspace" };
        var (data, store) = (StoreOptions.Data(), StoreOptions.Store());
        var cmd = new Command("list", "List keys (prefixes only)") { workspace, data, store };
        cmd.SetAction((parse, ct) => RunAsync(parse, data, store, async (keys, _, output) =>
        {
            await output.WriteLineAsync($"{"KEY_ID",-31} {"PREFIX",-13} {"WORKSPACE",-30} {"SCOPES",-24} {"STATUS",-8} NAME");
            foreach (var k in await keys.ListAsync(parse.GetValue(workspace), ct))
                await output.WriteLineAsync($"{k.Id,-31} {k.Prefix,-13} {k.WorkspaceId,-30} {string.Join(",", k.Scopes),-24} {(k.RevokedAt is null ? "active" : "revoked"),-8} {k.Name}");
        }));
        return cmd;
    }

    static Command RevokeKey()
    {
        var id = new Argument<string>("KEY_ID") { Description = "The key's id (key_…)" };
        var (data, store) = (StoreOptions.Data(), StoreOptions.Store());
        var cmd = new Command("revoke", "Revoke a key; effective at once, also for a running service") { id, data, store };
        cmd.SetAction((parse, ct) => RunAsync(parse, data, store, async (keys, _, output) =>
        {
            var revoked = await keys.RevokeAsync(null, parse.GetValue(id)!, ct);
            await output.WriteLineAsync($"revoked {revoked.Id} ({revoked.Name})");
        }));
        return cmd;
    }

    static async Task<int> RunAsync(ParseResult parse, Option<string> data, Option<string?> store,
        Func<KeyService, IFaceStore, TextWriter, Task> action)
    {
        try
        {
            await using var st = await FaceStoreFactory.OpenAndMigrateAsync(parse.GetValue(data), parse.GetValue(store));
            await action(new KeyService(st, TimeProvider.System), st, parse.InvocationConfiguration.Output);
            return 0;
        }
        catch (Exception e) when (e is VisageApiException or StoreException)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync("visage keys: " + e.Message);
            return 1;
        }
    }
}
