using System.Diagnostics;
using Visage.Engine.Onnx;
using Visage.Engine.Pipeline;

namespace Visage.Engine;

/// <summary>The face engine over the faceplugin models: detect → 68 landmarks → align → embed, plus liveness
/// and quality on request. Models load once in the constructor; every stage is stateless, so Analyze runs
/// from any number of threads at once.</summary>
public sealed class FaceEngine : IFaceEngine
{
    public const string ModelVersion = "faceplugin-fr-0.0.1+arcface112";

    readonly EngineOptions options;
    readonly IImageDecoder decoder;
    readonly OnnxModel[] models;
    readonly IFaceDetector detector;
    readonly ILandmarkDetector landmarks;
    readonly IFaceAligner aligner;
    readonly IFaceEmbedder embedder;
    readonly ILivenessDetector liveness;
    readonly IEyeStateDetector eyes;
    readonly IPoseEstimator pose;
    readonly QualityAssessor quality;

    /// <summary>The engine with the native codecs (TurboJPEG, libpng, libwebp).</summary>
    public FaceEngine(EngineOptions options) : this(options, new Imaging.NativeImageDecoder(options)) { }

    /// <summary>Loads ONNX Runtime and the six models. Throws <see cref="EngineSetupException"/> when any is missing.</summary>
    public FaceEngine(EngineOptions options, IImageDecoder decoder)
    {
        options.Validate();
        this.options = options;
        this.decoder = decoder;
        var runtime = OnnxRuntime.Get(options.ResolveOnnxRuntimeLibrary());
        var dir = options.ResolveModelsDirectory();
        string[] names = ["fr_detect", "fr_landmark", "fr_feature", "fr_liveness", "fr_eye", "fr_pose"];
        // Check every file first so the user learns about all missing models in one message.
        var missing = Array.FindAll(names, n => !File.Exists(Path.Combine(dir, n + ".onnx")));
        if (missing.Length > 0)
            throw new EngineSetupException(
                $"Face models missing from {dir}: {string.Join(", ", missing)}. Run `./visage setup` to install them.");
        models = new OnnxModel[names.Length];
        try
        {
            for (var i = 0; i < names.Length; i++) models[i] = runtime.LoadModel(Path.Combine(dir, names[i] + ".onnx"));
        }
        catch
        {
            foreach (var m in models) m?.Dispose();
            throw;
        }
        detector = new FaceDetector(models[0]);
        landmarks = new LandmarkDetector(models[1]);
        aligner = new FaceAligner();
        embedder = new FaceEmbedder(models[2]);
        liveness = new LivenessDetector(models[3], options.LivenessThreshold, options.LivenessMinContext);
        eyes = new EyeStateDetector(models[4]);
        pose = new PoseEstimator(models[5]);
        quality = new QualityAssessor(options);
        Info = new EngineInfo(ModelVersion, embedder.EmbeddingSize);
    }

    public EngineInfo Info { get; }

    public FaceAnalysis Analyze(ReadOnlySpan<byte> imageBytes, AnalyzeOptions options)
    {
        var start = Stopwatch.GetTimestamp();
        var header = decoder.ReadHeader(imageBytes);
        // Phone photos are 12+ MP; the models never need that. JPEG decodes at 1/2, 1/4 or 1/8 in the DCT
        // domain (several times faster), and results are scaled back to the original's coordinates.
        var image = decoder.Decode(imageBytes, this.options.MaxAnalysisSide);
        var (width, height) = header.ExifOrientation >= 5 ? (header.Height, header.Width) : (header.Width, header.Height);
        return Run(image, options, Stopwatch.GetElapsedTime(start).TotalMilliseconds, start, width, height);
    }

    public FaceAnalysis Analyze(RgbImage image, AnalyzeOptions options)
    {
        if (Math.Min(image.Width, image.Height) < this.options.MinImageSide)
            throw new ImageException(ImageErrorKind.TooSmall,
                $"image is {image.Width}x{image.Height}; both sides must be at least {this.options.MinImageSide} px");
        return Run(image, options, 0, Stopwatch.GetTimestamp(), image.Width, image.Height);
    }

    public float[] EmbedAlignedCrop(ReadOnlySpan<byte> crop112Rgb)
    {
        var embedding = new float[embedder.EmbeddingSize];
        embedder.Embed(crop112Rgb, embedding);
        return embedding;
    }

    /// <summary>Analyses <paramref name="image"/>, which may be a reduced decode of a
    /// <paramref name="width"/>×<paramref name="height"/> original; every coordinate and size reported is the original's.</summary>
    FaceAnalysis Run(RgbImage image, AnalyzeOptions request, double decodeMs, long start, int width, int height)
    {
        var scale = (float)width / image.Width;
        var t = new Timer();
        var boxes = detector.Detect(image, options.DetectorScoreThreshold, Math.Max(1, request.MaxFaces));
        t.Lap(ref t.Detect);

        // Landmarks for every box first: they reject false detections, and the subject is chosen among real faces.
        var found = new List<(FaceBox Box, PointF[] Points)>(boxes.Count);
        Span<PointF> five = stackalloc PointF[5];
        foreach (var box in boxes)
        {
            var points = new PointF[68];
            landmarks.Detect(image, box, points);
            LandmarkDetector.FivePoints(points, five);
            // Landmarks collapsed onto one spot (a false detection on texture) admit no alignment: not a face.
            if (Distance(five[0], five[1]) < 1 || Distance(five[3], five[4]) < 1) continue;
            found.Add((box, points));
        }
        t.Lap(ref t.Landmarks);

        var kept = new List<FaceBox>(found.Count);
        foreach (var (box, _) in found) kept.Add(box);
        var subject = ChooseSubject(kept, image.Width, image.Height);
        var analysed = request.SubjectOnly && subject >= 0 ? found.GetRange(subject, 1) : found;

        var faces = new List<DetectedFace>(analysed.Count);
        foreach (var (box, points) in analysed)
        {
            LandmarkDetector.FivePoints(points, five);
            var crop = new byte[FaceAligner.CropBytes];
            aligner.Align(image, five, crop);
            t.Lap(ref t.Align);

            var embedding = new float[embedder.EmbeddingSize];
            embedder.Embed(crop, embedding);
            t.Lap(ref t.Embed);

            var live = request.Liveness ? liveness.Assess(image, box) : null;
            t.Lap(ref t.Liveness);

            var measures = QualityAssessor.Measure(crop);
            // Without the quality request the two model-based checks (pose, eyes) are skipped; the cheap
            // image measures still fill the report.
            var headPose = request.Quality ? pose.Estimate(image, box) : default;
            EyeState? eyeState = request.Quality ? eyes.Detect(image, points) : null;
            var reported = box.Scaled(scale);
            var report = quality.Assess(measures, reported, headPose, eyeState);
            t.Lap(ref t.Quality);

            if (scale != 1)
            {
                for (var i = 0; i < points.Length; i++) points[i] = new PointF(points[i].X * scale, points[i].Y * scale);
                for (var i = 0; i < five.Length; i++) five[i] = new PointF(five[i].X * scale, five[i].Y * scale);
            }
            faces.Add(new DetectedFace(reported.ToBoundingBox(width, height), box.Score, points, five.ToArray(),
                report, live, embedding, request.AlignedCrop ? crop : null));
        }
        var timings = new StageTimings(decodeMs, t.Detect, t.Landmarks, t.Align, t.Embed, t.Liveness, t.Quality,
            Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        return new FaceAnalysis(width, height, faces, ReferenceEquals(analysed, found) ? subject : 0, timings)
            { DetectedCount = found.Count };
    }

    static float Distance(PointF a, PointF b) => MathF.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));

    /// <summary>"The" face of a photo. Largest alone is wrong for news-style photos where a bystander can be
    /// bigger than an off-centre subject (measured +0.6 points of LFW accuracy for weighing centrality):
    /// weight_i = confidence_i · (side_i / largest side) · (1 − d_i)², where d_i is the distance of the box centre
    /// from the image centre divided by half the image diagonal (0 at the centre, 1 in a corner). A face half the
    /// size of the largest wins only when it is much more central; a half-visible face cut by the border (lower
    /// confidence, off-centre) loses to a whole central one.</summary>
    public static int ChooseSubject(IReadOnlyList<FaceBox> boxes, int width, int height)
    {
        if (boxes.Count == 0) return -1;
        float largest = 0;
        foreach (var b in boxes) largest = MathF.Max(largest, b.Height);
        float cx = width / 2f, cy = height / 2f, halfDiagonal = MathF.Sqrt(cx * cx + cy * cy);
        int best = 0;
        var bestWeight = float.NegativeInfinity;
        for (var i = 0; i < boxes.Count; i++)
        {
            float dx = boxes[i].CenterX - cx, dy = boxes[i].CenterY - cy;
            var d = MathF.Min(1, MathF.Sqrt(dx * dx + dy * dy) / halfDiagonal);
            var weight = boxes[i].Score * boxes[i].Height / largest * (1 - d) * (1 - d);
            if (weight > bestWeight) { bestWeight = weight; best = i; }
        }
        return best;
    }

    /// <summary>Accumulates per-stage milliseconds across the faces of one image.</summary>
    struct Timer()
    {
        long last = Stopwatch.GetTimestamp();
        public double Detect, Landmarks, Align, Embed, Liveness, Quality;

        public void Lap(ref double stage)
        {
            var now = Stopwatch.GetTimestamp();
            stage += Stopwatch.GetElapsedTime(last, now).TotalMilliseconds;
            last = now;
        }
    }

    public void Dispose()
    {
        foreach (var m in models) m.Dispose();
    }
}
