using System.Runtime.InteropServices;

namespace Visage.Engine.Onnx;

/// <summary>One loaded model: a float32 tensor in, its float32 outputs copied into the caller's buffer.
/// Safe to <see cref="Run"/> from many threads at once (ONNX Runtime sessions are).</summary>
public sealed unsafe class OnnxModel : IDisposable
{
    readonly OnnxRuntime runtime;
    nint session;
    // Names stay in native memory for the session's life so Run pins nothing.
    readonly byte* inputName;
    readonly byte** outputNames;
    readonly int outputCount;
    readonly int[] outputSizes;

    public string Name { get; }
    /// <summary>Output names in session order; <see cref="Run"/> writes the outputs one after the other in this order.</summary>
    public IReadOnlyList<string> OutputNames { get; }
    /// <summary>Element count of each output for a batch of one.</summary>
    public IReadOnlyList<int> OutputSizes => outputSizes;
    public int TotalOutputSize { get; }

    internal OnnxModel(OnnxRuntime runtime, string name, byte[] modelBytes)
    {
        this.runtime = runtime;
        Name = name;
        var api = runtime.Api;
        nint options;
        api.Check(api.CreateSessionOptions(&options));
        try
        {
            // Parallelism comes from concurrent requests: each session runs on the caller's thread alone,
            // and spinning pools fighting over 2 cores made requests 2.5-5x slower.
            api.Check(api.SetIntraOpNumThreads(options, 1));
            api.Check(api.SetInterOpNumThreads(options, 1));
            api.Check(api.SetSessionExecutionMode(options, 0 /* ORT_SEQUENTIAL */));
            api.Check(api.SetSessionGraphOptimizationLevel(options, 99 /* ORT_ENABLE_ALL */));
            fixed (byte* key = "session.intra_op.allow_spinning\0"u8)
            fixed (byte* off = "0\0"u8)
                api.Check(api.AddSessionConfigEntry(options, key, off));
            nint s;
            fixed (byte* data = modelBytes)
                api.Check(api.CreateSessionFromArray(runtime.Env, data, (nuint)modelBytes.Length, options, &s));
            session = s;
        }
        finally { api.ReleaseSessionOptions(options); }

        nuint inputs, outputs;
        api.Check(api.SessionGetInputCount(session, &inputs));
        if (inputs != 1) throw new OnnxRuntimeException($"model {name} has {inputs} inputs, expected 1");
        byte* n;
        api.Check(api.SessionGetInputName(session, 0, runtime.DefaultAllocator, &n));
        inputName = NativeUtf8(runtime.TakeAllocatedString(n));

        api.Check(api.SessionGetOutputCount(session, &outputs));
        outputCount = (int)outputs;
        var names = new string[outputCount];
        outputNames = (byte**)NativeMemory.AllocZeroed((nuint)(outputCount * sizeof(byte*)));
        outputSizes = new int[outputCount];
        for (var i = 0; i < outputCount; i++)
        {
            api.Check(api.SessionGetOutputName(session, (nuint)i, runtime.DefaultAllocator, &n));
            names[i] = runtime.TakeAllocatedString(n);
            outputNames[i] = NativeUtf8(names[i]);
            outputSizes[i] = OutputElementCount(i);
            TotalOutputSize += outputSizes[i];
        }
        OutputNames = names;
    }

    /// <summary>Where output <paramref name="name"/> sits in the buffer <see cref="Run"/> fills.</summary>
    public Range OutputRange(string name)
    {
        var offset = 0;
        for (var i = 0; i < outputSizes.Length; i++)
        {
            if (OutputNames[i] == name) return new Range(offset, offset + outputSizes[i]);
            offset += outputSizes[i];
        }
        throw new OnnxRuntimeException($"{Name} has no output '{name}'");
    }

    static byte* NativeUtf8(string s)
    {
        var bytes = OnnxRuntime.Utf8Z(s);
        var p = (byte*)NativeMemory.Alloc((nuint)bytes.Length);
        bytes.CopyTo(new Span<byte>(p, bytes.Length));
        return p;
    }

    int OutputElementCount(int index)
    {
        var api = runtime.Api;
        nint typeInfo, tensorInfo;
        api.Check(api.SessionGetOutputTypeInfo(session, (nuint)index, &typeInfo));
        try
        {
            api.Check(api.CastTypeInfoToTensorInfo(typeInfo, &tensorInfo)); // borrowed, freed with typeInfo
            nuint rank;
            api.Check(api.GetDimensionsCount(tensorInfo, &rank));
            Span<long> dims = stackalloc long[(int)rank];
            fixed (long* d = dims) api.Check(api.GetDimensions(tensorInfo, d, rank));
            var count = 1;
            foreach (var dim in dims) count *= dim > 0 ? (int)dim : 1; // symbolic dims are the batch: one image
            return count;
        }
        finally { api.ReleaseTypeInfo(typeInfo); }
    }

    /// <summary>Runs the model on one input tensor of <paramref name="shape"/>; writes every output, in
    /// <see cref="OutputNames"/> order, contiguously into <paramref name="output"/>.</summary>
    public void Run(ReadOnlySpan<float> input, ReadOnlySpan<long> shape, Span<float> output)
    {
        ObjectDisposedException.ThrowIf(session == 0, this);
        if (output.Length < TotalOutputSize)
            throw new ArgumentException($"{Name} needs an output buffer of {TotalOutputSize} floats", nameof(output));
        var api = runtime.Api;
        var count = outputCount;
        nint inputValue = 0;
        var outputValues = stackalloc nint[count];
        for (var i = 0; i < count; i++) outputValues[i] = 0;
        try
        {
            fixed (float* data = input)
            fixed (long* dims = shape)
            {
                api.Check(api.CreateTensorWithDataAsOrtValue(runtime.CpuMemory, data, (nuint)(input.Length * sizeof(float)),
                    dims, (nuint)shape.Length, 1 /* ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT */, &inputValue));
                var inName = inputName;
                api.Check(api.Run(session, 0, &inName, &inputValue, 1, outputNames, (nuint)count, outputValues));
            }
            var offset = 0;
            for (var i = 0; i < count; i++)
            {
                nint info;
                nuint elements;
                api.Check(api.GetTensorTypeAndShape(outputValues[i], &info));
                try { api.Check(api.GetTensorShapeElementCount(info, &elements)); }
                finally { api.ReleaseTensorTypeAndShapeInfo(info); }
                if ((int)elements != outputSizes[i])
                    throw new OnnxRuntimeException($"{Name} output {OutputNames[i]} has {elements} values, expected {outputSizes[i]}");
                void* values;
                api.Check(api.GetTensorMutableData(outputValues[i], &values));
                new ReadOnlySpan<float>(values, (int)elements).CopyTo(output.Slice(offset));
                offset += (int)elements;
            }
        }
        finally
        {
            if (inputValue != 0) api.ReleaseValue(inputValue);
            for (var i = 0; i < count; i++)
                if (outputValues[i] != 0) api.ReleaseValue(outputValues[i]);
        }
    }

    public void Dispose()
    {
        var s = Interlocked.Exchange(ref session, 0);
        if (s == 0) return;
        runtime.Api.ReleaseSession(s);
        for (var i = 0; i < outputCount; i++) NativeMemory.Free(outputNames[i]);
        NativeMemory.Free(outputNames);
        NativeMemory.Free(inputName);
    }
}
