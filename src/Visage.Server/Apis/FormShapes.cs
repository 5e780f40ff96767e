namespace Visage.Server.Apis;

// The multipart shapes of the image endpoints, for the OpenAPI document only: the handlers read either
// multipart or base64 JSON through ImageRequest. In JSON, each image field is a base64 string
// (optionally a data: URL), also accepted under "<name>_base64".

public sealed record EnrollForm(IFormFile Image, string ExternalId, string? Metadata, bool? CheckLiveness);
public sealed record BatchEnrollForm(IFormFileCollection Images, string[] ExternalIds, string[]? Metadata, bool? CheckLiveness);
public sealed record IdentifyForm(IFormFile Image, int? TopK, float? Threshold, bool? CheckLiveness, bool? AutoEnroll);
public sealed record VerifyForm(IFormFile Image, float? Threshold, bool? CheckLiveness);
public sealed record VerifyPersonForm(IFormFile Image, string ExternalId, float? Threshold, bool? CheckLiveness);
public sealed record CompareForm(IFormFile ImageA, IFormFile ImageB, float? Threshold);
public sealed record DetectForm(IFormFile Image, bool? CheckLiveness);
