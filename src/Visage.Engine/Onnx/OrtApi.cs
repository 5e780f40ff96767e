using System.Runtime.InteropServices;

namespace Visage.Engine.Onnx;

/// <summary>The slice of the ONNX Runtime C API (OrtApi, version 30) the engine uses. The table is
/// append-only across releases, so slot numbers are stable; the ones used here were checked against 1.30.
/// Every pointer in the engine lives in this folder.</summary>
internal sealed unsafe class OrtApi
{
    public const uint ApiVersion = 30;

    // Slot numbers in the OrtApi struct (onnxruntime_c_api.h, in declaration order).
    const int GetErrorMessageSlot = 2, CreateEnvSlot = 3, CreateSessionFromArraySlot = 8, RunSlot = 9,
        CreateSessionOptionsSlot = 10, SetSessionExecutionModeSlot = 13, SetSessionGraphOptimizationLevelSlot = 23,
        SetIntraOpNumThreadsSlot = 24, SetInterOpNumThreadsSlot = 25, SessionGetInputCountSlot = 30,
        SessionGetOutputCountSlot = 31, SessionGetOutputTypeInfoSlot = 34, SessionGetInputNameSlot = 36,
        SessionGetOutputNameSlot = 37, CreateTensorWithDataAsOrtValueSlot = 49, GetTensorMutableDataSlot = 51,
        CastTypeInfoToTensorInfoSlot = 55, GetDimensionsCountSlot = 61, GetDimensionsSlot = 62,
        GetTensorShapeElementCountSlot = 64, GetTensorTypeAndShapeSlot = 65, CreateCpuMemoryInfoSlot = 69,
        AllocatorFreeSlot = 76, GetAllocatorWithDefaultOptionsSlot = 78, ReleaseEnvSlot = 92, ReleaseStatusSlot = 93,
        ReleaseMemoryInfoSlot = 94, ReleaseSessionSlot = 95, ReleaseValueSlot = 96, ReleaseTypeInfoSlot = 98,
        ReleaseTensorTypeAndShapeInfoSlot = 99, ReleaseSessionOptionsSlot = 100, AddSessionConfigEntrySlot = 130;

    public readonly delegate* unmanaged[Cdecl]<nint, byte*> GetErrorMessage;
    public readonly delegate* unmanaged[Cdecl]<int, byte*, nint*, nint> CreateEnv;
    public readonly delegate* unmanaged[Cdecl]<nint, void*, nuint, nint, nint*, nint> CreateSessionFromArray;
    public readonly delegate* unmanaged[Cdecl]<nint, nint, byte**, nint*, nuint, byte**, nuint, nint*, nint> Run;
    public readonly delegate* unmanaged[Cdecl]<nint*, nint> CreateSessionOptions;
    public readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetSessionExecutionMode;
    public readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetSessionGraphOptimizationLevel;
    public readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetIntraOpNumThreads;
    public readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetInterOpNumThreads;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> SessionGetInputCount;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> SessionGetOutputCount;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint, nint*, nint> SessionGetOutputTypeInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint> SessionGetInputName;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint> SessionGetOutputName;
    public readonly delegate* unmanaged[Cdecl]<nint, void*, nuint, long*, nuint, int, nint*, nint> CreateTensorWithDataAsOrtValue;
    public readonly delegate* unmanaged[Cdecl]<nint, void**, nint> GetTensorMutableData;
    public readonly delegate* unmanaged[Cdecl]<nint, nint*, nint> CastTypeInfoToTensorInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> GetDimensionsCount;
    public readonly delegate* unmanaged[Cdecl]<nint, long*, nuint, nint> GetDimensions;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> GetTensorShapeElementCount;
    public readonly delegate* unmanaged[Cdecl]<nint, nint*, nint> GetTensorTypeAndShape;
    public readonly delegate* unmanaged[Cdecl]<int, int, nint*, nint> CreateCpuMemoryInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, void*, nint> AllocatorFree;
    public readonly delegate* unmanaged[Cdecl]<nint*, nint> GetAllocatorWithDefaultOptions;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseEnv;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseStatus;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseMemoryInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseSession;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseValue;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseTypeInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseTensorTypeAndShapeInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseSessionOptions;
    public readonly delegate* unmanaged[Cdecl]<nint, byte*, byte*, nint> AddSessionConfigEntry;

    OrtApi(void** t)
    {
        GetErrorMessage = (delegate* unmanaged[Cdecl]<nint, byte*>)t[GetErrorMessageSlot];
        CreateEnv = (delegate* unmanaged[Cdecl]<int, byte*, nint*, nint>)t[CreateEnvSlot];
        CreateSessionFromArray = (delegate* unmanaged[Cdecl]<nint, void*, nuint, nint, nint*, nint>)t[CreateSessionFromArraySlot];
        Run = (delegate* unmanaged[Cdecl]<nint, nint, byte**, nint*, nuint, byte**, nuint, nint*, nint>)t[RunSlot];
        CreateSessionOptions = (delegate* unmanaged[Cdecl]<nint*, nint>)t[CreateSessionOptionsSlot];
        SetSessionExecutionMode = (delegate* unmanaged[Cdecl]<nint, int, nint>)t[SetSessionExecutionModeSlot];
        SetSessionGraphOptimizationLevel = (delegate* unmanaged[Cdecl]<nint, int, nint>)t[SetSessionGraphOptimizationLevelSlot];
        SetIntraOpNumThreads = (delegate* unmanaged[Cdecl]<nint, int, nint>)t[SetIntraOpNumThreadsSlot];
        SetInterOpNumThreads = (delegate* unmanaged[Cdecl]<nint, int, nint>)t[SetInterOpNumThreadsSlot];
        SessionGetInputCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)t[SessionGetInputCountSlot];
        SessionGetOutputCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)t[SessionGetOutputCountSlot];
        SessionGetOutputTypeInfo = (delegate* unmanaged[Cdecl]<nint, nuint, nint*, nint>)t[SessionGetOutputTypeInfoSlot];
        SessionGetInputName = (delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint>)t[SessionGetInputNameSlot];
        SessionGetOutputName = (delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint>)t[SessionGetOutputNameSlot];
        CreateTensorWithDataAsOrtValue = (delegate* unmanaged[Cdecl]<nint, void*, nuint, long*, nuint, int, nint*, nint>)t[CreateTensorWithDataAsOrtValueSlot];
        GetTensorMutableData = (delegate* unmanaged[Cdecl]<nint, void**, nint>)t[GetTensorMutableDataSlot];
        CastTypeInfoToTensorInfo = (delegate* unmanaged[Cdecl]<nint, nint*, nint>)t[CastTypeInfoToTensorInfoSlot];
        GetDimensionsCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)t[GetDimensionsCountSlot];
        GetDimensions = (delegate* unmanaged[Cdecl]<nint, long*, nuint, nint>)t[GetDimensionsSlot];
        GetTensorShapeElementCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)t[GetTensorShapeElementCountSlot];
        GetTensorTypeAndShape = (delegate* unmanaged[Cdecl]<nint, nint*, nint>)t[GetTensorTypeAndShapeSlot];
        CreateCpuMemoryInfo = (delegate* unmanaged[Cdecl]<int, int, nint*, nint>)t[CreateCpuMemoryInfoSlot];
        AllocatorFree = (delegate* unmanaged[Cdecl]<nint, void*, nint>)t[AllocatorFreeSlot];
        GetAllocatorWithDefaultOptions = (delegate* unmanaged[Cdecl]<nint*, nint>)t[GetAllocatorWithDefaultOptionsSlot];
        ReleaseEnv = (delegate* unmanaged[Cdecl]<nint, void>)t[ReleaseEnvSlot];
        ReleaseStatus = (delegate* unmanaged[Cdecl]<nint, void>)t[ReleaseStatusSlot];
        ReleaseMemoryInfo = (delegate* unmanaged[Cdecl]<nint, void>)t[ReleaseMemoryInfoSlot];
        ReleaseSession = (delegate* unmanaged[Cdecl]<nint, void>)t[ReleaseSessionSlot];
        ReleaseValue = (delegate* unmanaged[Cdecl]<nint, void>)t[ReleaseValueSlot];
        ReleaseTypeInfo = (delegate* unmanaged[Cdecl]<nint, void>)t[ReleaseTypeInfoSlot];
        ReleaseTensorTypeAndShapeInfo = (delegate* unmanaged[Cdecl]<nint, void>)t[ReleaseTensorTypeAndShapeInfoSlot];
        ReleaseSessionOptions = (delegate* unmanaged[Cdecl]<nint, void>)t[ReleaseSessionOptionsSlot];
        AddSessionConfigEntry = (delegate* unmanaged[Cdecl]<nint, byte*, byte*, nint>)t[AddSessionConfigEntrySlot];
    }

    /// <summary>Loads the library at <paramref name="libraryPath"/> and returns its API table.</summary>
    public static OrtApi Load(string libraryPath)
    {
        if (!File.Exists(libraryPath))
            throw new EngineSetupException(
                $"ONNX Runtime is not installed (missing {libraryPath}). Run `./visage setup` to install it.");
        nint lib;
        try { lib = NativeLibrary.Load(libraryPath); }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            throw new EngineSetupException(
                $"ONNX Runtime at {libraryPath} cannot be loaded ({e.Message}). Run `./visage setup` to reinstall it.");
        }
        // OrtApiBase is { GetApi(uint version), GetVersionString() }.
        var apiBase = ((delegate* unmanaged[Cdecl]<void**>)NativeLibrary.GetExport(lib, "OrtGetApiBase"))();
        var table = ((delegate* unmanaged[Cdecl]<uint, void**>)apiBase[0])(ApiVersion);
        if (table == null)
            throw new EngineSetupException(
                $"ONNX Runtime at {libraryPath} does not offer API version {ApiVersion}. Run `./visage setup` to install 1.30.");
        return new OrtApi(table);
    }

    /// <summary>Turns a non-null OrtStatus into an exception carrying ONNX Runtime's message.</summary>
    public void Check(nint status)
    {
        if (status == 0) return;
        var message = Marshal.PtrToStringUTF8((nint)GetErrorMessage(status)) ?? "unknown error";
        ReleaseStatus(status);
        throw new OnnxRuntimeException(message);
    }
}

/// <summary>An error reported by ONNX Runtime itself (a fault of ours or of the model, never of the caller's input).</summary>
public sealed class OnnxRuntimeException(string message) : Exception("ONNX Runtime: " + message);
