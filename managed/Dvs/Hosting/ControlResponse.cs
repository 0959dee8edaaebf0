using System.Text.Json.Serialization;

namespace Dvs.Hosting;

/// <summary>
/// The answer to one <see cref="ControlRequest"/>: a JSON object on one line. <see cref="Ok"/> tells
/// whether the command did what it asked; <see cref="Error"/> / <see cref="Code"/> give the DVS
/// error otherwise, <see cref="Phase"/> where a migration failed and <see cref="Message"/> why in
/// words. Fields that do not apply to the command are left out. Not thread-safe (a plain data object).
/// </summary>
public sealed class ControlResponse
{
    public bool Ok { get; set; }

    /// <summary>The <see cref="DvsError"/> name ("Ok" on success).</summary>
    public string Error { get; set; } = nameof(DvsError.Ok);

    /// <summary>The <see cref="DvsError"/> value (0 on success).</summary>
    public int Code { get; set; }

    /// <summary>What went wrong, in words (bad requests, failures).</summary>
    public string? Message { get; set; }

    /// <summary>Migrations: the phase reached (start, transfer, prepare, commit; "done" on success).</summary>
    public string? Phase { get; set; }

    /// <summary>Migrations: the endpoint's epoch after the commit.</summary>
    public uint? Epoch { get; set; }

    /// <summary>Migrations: the node the endpoint moves from (the node answering).</summary>
    public int? From { get; set; }

    /// <summary>Migrations: the target node.</summary>
    public int? To { get; set; }

    /// <summary>Migrations: how long the command took, in milliseconds.</summary>
    public double? ElapsedMs { get; set; }

    /// <summary>Migrations: bytes of service state carried.</summary>
    public long? StateBytes { get; set; }

    /// <summary>The status command's answer.</summary>
    public NodeStatus? Status { get; set; }

    /// <summary>The error as a <see cref="DvsError"/>.</summary>
    [JsonIgnore]
    public DvsError DvsError => (DvsError)Code;

    /// <summary>A failed command.</summary>
    public static ControlResponse Failure(DvsError error, string? message) => new()
    {
        Ok = false,
        Error = error.ToString(),
        Code = (int)error,
        Message = message,
    };

    /// <summary>The answer carrying a migration's (or one step's) result.</summary>
    public static ControlResponse Of(MigrationResult result) => new()
    {
        Ok = result.IsOk,
        Error = result.Error.ToString(),
        Code = (int)result.Error,
        Phase = result.Phase,
        Epoch = result.Epoch,
        From = result.FromNode,
        To = result.ToNode,
        ElapsedMs = result.Elapsed.TotalMilliseconds,
        StateBytes = result.StateBytes,
        Message = result.IsOk ? null : result.ToString(),
    };
}
