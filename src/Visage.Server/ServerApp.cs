using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.FileProviders;
using Microsoft.OpenApi;
using Visage.Engine;
using Visage.Engine.Imaging;
using Visage.Search;
using Visage.Server.Apis;
using Visage.Server.Hosting;
using Visage.Server.Http;
using Visage.Service;
using Visage.Service.Observability;
using Visage.Storage;

namespace Visage.Server;

/// <summary>The Visage HTTP service. <c>Build</c> wires engine, store, indexes and endpoints; the caller runs it
/// (<c>visage serve</c>, or tests on Kestrel at http://127.0.0.1:0).</summary>
public static class ServerApp
{
    public const string DefaultUrls = "http://127.0.0.1:8080";

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // The build output is the content root, so wwwroot/ui ships with `./visage` and the test binaries alike.
            ContentRootPath = AppContext.BaseDirectory,
        });
        AddVisageEnvironment(builder.Configuration);
        if (string.IsNullOrEmpty(builder.Configuration["Urls"])) builder.WebHost.UseUrls(DefaultUrls);

        var options = builder.Configuration.Get<ServerOptions>() ?? new ServerOptions();
        options.Validate();
        builder.Services.AddVisageRateLimits(builder.Configuration);
        var engineOptions = builder.Configuration.GetSection("Engine").Get<EngineOptions>() ?? new EngineOptions();
        var thresholds = builder.Configuration.GetSection("Thresholds").Get<ModelThresholds>() ?? new ModelThresholds();
        thresholds.Liveness = builder.Configuration.GetSection("Thresholds")["Liveness"] is null ? engineOptions.LivenessThreshold : thresholds.Liveness;
        var inference = builder.Configuration.GetSection("Inference").Get<InferenceOptions>() ?? new InferenceOptions();

        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxRequestBytes;
        });
        builder.Services.Configure<FormOptions>(f =>
        {
            f.MultipartBodyLengthLimit = options.MaxBatchBytes;
            f.ValueLengthLimit = (int)Math.Min(int.MaxValue, options.MaxImageBytes * 2); // base64 images in plain form fields
        });
        builder.Services.ConfigureHttpJsonOptions(j =>
        {
            j.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            j.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
            j.SerializerOptions.Converters.Add(new UtcDateTimeConverter());
        });
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info = new OpenApiInfo
            {
                Title = "Visage API", Version = "v1",
                Description = "Self-hosted face enrollment, verification and identification. Authenticate with the X-API-Key header. " +
                    "Errors use {success:false, error:{code,message,details}, request_id}. When a photo holds several faces, the " +
                    "engine's subject face is used: the largest, weighed by how central it is. match_threshold unset means the model's " +
                    "1:N default for identify and its 1:1 default for verify; set, it applies to both.",
            };
            doc.Components ??= new OpenApiComponents();
            doc.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            doc.Components.SecuritySchemes["ApiKey"] = new OpenApiSecurityScheme
            { Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = "X-API-Key" };
            doc.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("ApiKey", doc)] = [] }];
            return Task.CompletedTask;
        }));
        if (options.CorsOrigins.Length > 0)
            builder.Services.AddCors(c => c.AddDefaultPolicy(p => p.WithOrigins(options.CorsOrigins).AllowAnyHeader().AllowAnyMethod()));

        var engine = new FaceEngine(engineOptions, new NativeImageDecoder(engineOptions));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(engineOptions);
        builder.Services.AddSingleton(thresholds);
        builder.Services.AddSingleton(inference);
        builder.Services.AddSingleton<IFaceEngine>(engine);
        builder.Services.AddSingleton(_ => StoreEncryption.Open(options, builder.Configuration));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<MetricsRegistry>();
        builder.Services.AddSingleton<Readiness>();
        builder.Services.AddSingleton<InferencePool>();
        builder.Services.AddSingleton<FacePipeline>();
        builder.Services.AddSingleton(_ => new IndexManager(dim => VectorIndexFactory.Create(dim), engine.Info.EmbeddingSize));
        builder.Services.AddSingleton(sp => new AuditLog(sp.GetRequiredService<IFaceStore>(), sp.GetRequiredService<TimeProvider>(),
            (e, what) => sp.GetRequiredService<ILogger<AuditLog>>().LogWarning(e, "{What}", what)));
        builder.Services.AddSingleton<KeyService>();
        builder.Services.AddSingleton<CollectionService>();
        builder.Services.AddSingleton<FaceService>();
        builder.Services.AddSingleton<SearchService>();
        builder.Services.AddSingleton<ChangeFollower>();
        builder.Services.AddHostedService<StartupTasks>();
        // Registered after StartupTasks: follows the change log from the position taken before the index load.
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ChangeFollower>());
        builder.Services.AddSingleton(builder.Configuration.GetSection("Housekeeping").Get<HousekeepingOptions>() ?? new HousekeepingOptions());
        builder.Services.AddHostedService<Housekeeping>();

        var app = builder.Build();
        app.UseMiddleware<EdgeMiddleware>();
        MapDashboard(app);
        app.UseRouting();
        app.UseMiddleware<StartupGate>();
        if (options.CorsOrigins.Length > 0) app.UseCors();
        app.UseMiddleware<ApiKeyAuthMiddleware>();
        app.UseVisageRateLimits();
        app.UseMiddleware<IdempotencyMiddleware>();

        app.MapOpenApi();
        app.MapOpsApi();
        app.MapModelsApi();
        app.MapKeysApi();
        app.MapCollectionsApi();
        app.MapFacesApi(options);
        app.MapSearchApi();
        app.MapCompatApi();
        app.MapAuditApi();
        return app;
    }

    /// <summary>VISAGE_DATA, VISAGE_STORE, VISAGE_ADMIN_KEY as Data, Store, AdminKey; command-line arguments still win.</summary>
    static void AddVisageEnvironment(ConfigurationManager config)
    {
        var mapped = new Dictionary<string, string?>();
        foreach (var (env, key) in (ReadOnlySpan<(string, string)>)[("VISAGE_DATA", "Data"), ("VISAGE_STORE", "Store"), ("VISAGE_ADMIN_KEY", "AdminKey")])
            if (Environment.GetEnvironmentVariable(env) is { Length: > 0 } v) mapped[key] = v;
        if (mapped.Count == 0) return;
        var sources = ((IConfigurationBuilder)config).Sources;
        int at = sources.Count;
        for (int i = 0; i < sources.Count; i++) if (sources[i] is CommandLineConfigurationSource) { at = i; break; }
        sources.Insert(at, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = mapped });
    }

    /// <summary>wwwroot/ui beside the binaries (./visage builds), else in the source tree above them (tests, dotnet run).</summary>
    static string? FindDashboard(string contentRoot)
    {
        var beside = Path.Combine(contentRoot, "wwwroot", "ui");
        if (File.Exists(Path.Combine(beside, "index.html"))) return beside;
        for (var dir = new DirectoryInfo(contentRoot); dir is not null; dir = dir.Parent)
        {
            var source = Path.Combine(dir.FullName, "src", "Visage.Server", "wwwroot", "ui");
            if (File.Exists(Path.Combine(source, "index.html"))) return source;
        }
        return null;
    }

    /// <summary>The dashboard's static build (wwwroot/ui, from scripts/build-ui.sh) at /ui, index.html for client routes.</summary>
    static void MapDashboard(WebApplication app)
    {
        if (FindDashboard(app.Environment.ContentRootPath) is not { } dir) return;
        var files = new PhysicalFileProvider(dir);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files, RequestPath = "/ui" });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = files, RequestPath = "/ui" });
        app.MapFallbackToFile("/ui/{**path}", "index.html", new StaticFileOptions { FileProvider = files });
    }
}
