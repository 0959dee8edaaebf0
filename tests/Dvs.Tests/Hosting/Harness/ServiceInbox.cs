using Dvs.Services;

namespace Dvs.Tests.Hosting.Harness;

/// <summary>
/// What a hosted kv service executed of one sender's one-way messages (Advance of the sender's key
/// to 1, 2, 3...): the last number, and how many came out of order (lost, repeated or reordered:
/// the kv counts them). Read with the service paused at a message boundary.
/// </summary>
internal static class ServiceInbox
{
    /// <summary>The last number executed for <paramref name="key"/>, and the out-of-order count.</summary>
    public static (long Last, long OutOfOrder) Of(ServiceHost service, long key)
    {
        Assert.That(service.Pause(TimeSpan.FromSeconds(20)), Is.True, "the service pauses");
        var kv = (KeyValueService)service.Service;
        (long, long) seen = (kv[key], kv[KeyValueService.OutOfOrderKey(key)]);
        service.Resume(null);
        return seen;
    }
}
