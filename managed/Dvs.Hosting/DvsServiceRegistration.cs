namespace Dvs.Hosting;

/// <summary>
/// A service endpoint registered with <see cref="DvsServiceCollectionExtensions.AddDvsService{TService}"/>:
/// its type (created through dependency injection), its DC, endpoint and kind. Immutable.
/// </summary>
/// <param name="ServiceType">The <see cref="Services.IMigratableService"/> implementation.</param>
/// <param name="DcId">The DC the endpoint belongs to.</param>
/// <param name="Endpoint">The endpoint number it serves.</param>
/// <param name="Kind">Its kind: what a node host it migrates to must know to restore it.</param>
public sealed record DvsServiceRegistration(Type ServiceType, int DcId, int Endpoint, string Kind);
