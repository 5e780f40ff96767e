using Microsoft.AspNetCore.Http.HttpResults;
using Visage.Server.Http;
using Visage.Service;

namespace Visage.Server.Apis;

public static class ModelsApi
{
    public static IEndpointRouteBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/models", Get).WithTags("Models").WithName("GetModels").WithSummary("Model version, embedding size and calibrated thresholds").RequireScope(Scopes.Read);
        return app;
    }

    static Ok<Envelope<IReadOnlyList<ModelView>>> Get(FacePipeline pipeline)
    {
        var t = pipeline.Thresholds;
        var model = new ModelView(pipeline.Info.ModelVersion, pipeline.Info.EmbeddingSize, "cosine",
            t.Identify, t.Verify, [new(1e-3, t.Far1e3), new(1e-4, t.Far1e4), new(1e-5, t.Far1e5)], t.Liveness, t.Source);
        return TypedResults.Ok(Envelope.Of<IReadOnlyList<ModelView>>([model]));
    }
}
