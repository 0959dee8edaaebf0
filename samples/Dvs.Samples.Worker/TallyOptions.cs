namespace Dvs.Samples.Worker;

/// <summary>The "Tally" section of appsettings.json.</summary>
public sealed class TallyOptions
{
    /// <summary>The endpoint of DC 0 the tally serves.</summary>
    public int Endpoint { get; set; } = 10;

    /// <summary>Log the running total every this many requests.</summary>
    public int LogEvery { get; set; } = 1000;
}
