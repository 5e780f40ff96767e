using System.Runtime.InteropServices;
using System.Text;

namespace Visage.Engine.Onnx;

/// <summary>The process-wide ONNX Runtime environment. ONNX Runtime wants one OrtEnv per process, so this
/// is created once (for the first library path asked for) and lives until the process ends.</summary>
public sealed unsafe class OnnxRuntime
{
    const int LogSeverityWarning = 2; // 1 (info) prints ~1,100 lines per model load
    const int OrtArenaAllocator = 1, OrtMemTypeDefault = 0;

    static readonly Lock CreateLock = new();
    static OnnxRuntime? shared;

    internal OrtApi Api { get; }
    internal nint Env { get; }
    internal nint CpuMemory { get; }
    internal nint DefaultAllocator { get; }
    public string LibraryPath { get; }

    OnnxRuntime(string libraryPath)
    {
        LibraryPath = libraryPath;
        Api = OrtApi.Load(libraryPath);
        nint env, mem, alloc;
        fixed (byte* logId = "visage\0"u8)
            Api.Check(Api.CreateEnv(LogSeverityWarning, logId, &env));
        Api.Check(Api.CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &mem));
        Api.Check(Api.GetAllocatorWithDefaultOptions(&alloc));
        Env = env; CpuMemory = mem; DefaultAllocator = alloc;
    }

    /// <summary>The environment for the library at <paramref name="libraryPath"/>; throws
    /// <see cref="EngineSetupException"/> when it is missing or unusable.</summary>
    public static OnnxRuntime Get(string libraryPath)
    {
        lock (CreateLock)
        {
            // The environment outlives a deleted or moved library file; still tell a caller who names a missing one.
            if (shared != null && shared.LibraryPath != libraryPath && !File.Exists(libraryPath))
                throw new EngineSetupException(
                    $"ONNX Runtime is not installed (missing {libraryPath}). Run `./visage setup` to install it.");
            return shared ??= new OnnxRuntime(libraryPath);
        }
    }

    /// <summary>Loads a model file into a session tuned for many concurrent single-image requests.</summary>
    public OnnxModel LoadModel(string modelPath)
    {
        if (!File.Exists(modelPath))
            throw new EngineSetupException(
                $"Face model {Path.GetFileName(modelPath)} is not installed (missing {modelPath}). Run `./visage setup` to install the models.");
        return new OnnxModel(this, Path.GetFileNameWithoutExtension(modelPath), File.ReadAllBytes(modelPath));
    }

    internal string TakeAllocatedString(byte* s)
    {
        var value = Marshal.PtrToStringUTF8((nint)s) ?? "";
        Api.Check(Api.AllocatorFree(DefaultAllocator, s));
        return value;
    }

    internal static byte[] Utf8Z(string s) => Encoding.UTF8.GetBytes(s + "\0");
}
