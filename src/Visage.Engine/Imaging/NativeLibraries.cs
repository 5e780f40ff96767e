using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

[assembly: InternalsVisibleTo("Visage.Engine.Tests")]

namespace Visage.Engine.Imaging;

/// <summary>Loads a system codec library by soname. Missing pieces become an <see cref="EngineSetupException"/>
/// that says which Debian package fixes it, instead of a DllNotFoundException deep in a request.</summary>
internal sealed class NativeLibraries
{
    readonly nint handle;
    readonly string soname, debianPackage;

    NativeLibraries(nint handle, string soname, string debianPackage) =>
        (this.handle, this.soname, this.debianPackage) = (handle, soname, debianPackage);

    public static NativeLibraries Load(string soname, string debianPackage) =>
        NativeLibrary.TryLoad(soname, out var handle)
            ? new NativeLibraries(handle, soname, debianPackage)
            : throw new EngineSetupException(
                $"cannot load {soname}: install the Debian package {debianPackage} (scripts/setup.sh does it)");

    public nint Export(string name) =>
        NativeLibrary.TryGetExport(handle, name, out var address)
            ? address
            : throw new EngineSetupException(
                $"{soname} has no symbol {name}: the installed {debianPackage} is too old for Visage");
}

/// <summary>One binding table per library, created on first use. A failed load is not cached: the next call
/// tries again, so fixing the setup does not need a restart.</summary>
internal static class Loaded<TApi> where TApi : class, new()
{
    static TApi? api;
    static readonly Lock loading = new();

    public static TApi Api => Volatile.Read(ref api) ?? LoadOnce();

    static TApi LoadOnce() { lock (loading) return api ??= new TApi(); }
}
