using Dvs.Ipc;
using Dvs.Services;

namespace Dvs.Tests.Hosting.Harness;

/// <summary>
/// The one-way messages queued at a hosted service (it serves requests only, and sets the others
/// aside): paused, drained and resumed with them, as a migration's package takes them.
/// </summary>
internal static class ServiceInbox
{
    /// <summary>Word 0 of the one-way messages from <paramref name="source"/> queued at <paramref name="service"/>.</summary>
    public static List<long> From(ServiceHost service, int source)
    {
        Assert.That(service.Pause(TimeSpan.FromSeconds(20)), Is.True, "the service pauses");
        var held = new List<HeldMessage>();
        service.Endpoint.DrainHeld(held);
        service.Resume(held.ToList());
        return held.Where(h => h.Message.Source == source).Select(h => h.Message[0]).ToList();
    }
}
