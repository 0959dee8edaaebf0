using System.Text.Json.Serialization;

namespace Dvs.Hosting;

/// <summary>
/// The control channel's JSON, generated at compile time (no reflection: trimming and AOT safe).
/// camelCase names, absent fields for nulls, one line per document.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = false)]
[JsonSerializable(typeof(ControlRequest))]
[JsonSerializable(typeof(ControlResponse))]
internal sealed partial class ControlJsonContext : JsonSerializerContext;
