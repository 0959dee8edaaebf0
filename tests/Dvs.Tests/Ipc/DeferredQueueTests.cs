using CsCheck;
using Dvs.Ipc;
using Dvs.Layout;

namespace Dvs.Tests.Ipc;

/// <summary>
/// Issue 11.14: taking a set-aside message costs O(1) amortized whatever the mix of sources and
/// kinds (it was a scan plus an array shift: 19 us per message for the first of 20,000); and the
/// queue keeps DVS receive semantics (oldest first, per source, requests only).
/// </summary>
[TestFixture]
public class DeferredQueueTests
{
    private const int Slots = 64;

    private static DeferredQueue NewQueue(int bound = 1 << 20) => new(bound, Slots, source => source is >= 0 and < Slots ? source : -1);

    private static Message From(int source, int value) => new(value) { Source = source };

    [Test]
    public void DrainingManySetAsideMessagesTakesConstantWorkPerMessage()
    {
        const int n = 20_000;
        DeferredQueue queue = NewQueue();
        for (int i = 0; i < n; i++)
        {
            queue.Add(From(i % 2 == 0 ? 1 : 2, i), SegmentLayout.KindSend, 0);
        }
        long before = queue.Steps;
        for (int i = 1; i < n; i += 2)
        {
            Assert.That(queue.TryTake(2, false, out Message m, out _, out _), Is.True);
            Assert.That(m.Type, Is.EqualTo(i));
        }
        for (int i = 0; i < n; i += 2)
        {
            Assert.That(queue.TryTake(EndpointNumber.Any, false, out Message m, out _, out _), Is.True);
            Assert.That(m.Type, Is.EqualTo(i));
        }
        Assert.That(queue.TryTake(EndpointNumber.Any, false, out _, out _, out _), Is.False);
        Assert.That(queue.Steps - before, Is.LessThanOrEqualTo(4L * n), "work per take must not grow with the queue");
    }

    [Test]
    public void TakingRequestsBehindManyOneWayMessagesTakesConstantWork()
    {
        const int n = 20_000;
        DeferredQueue queue = NewQueue();
        for (int i = 0; i < n; i++)
        {
            queue.Add(From(3, i), i % 100 == 99 ? SegmentLayout.KindSendRec | (i << 8) : SegmentLayout.KindSend, 0);
        }
        long before = queue.Steps;
        int requests = 0;
        while (queue.TryTake(EndpointNumber.Any, true, out Message m, out int meta, out _))
        {
            Assert.That(meta & SegmentLayout.KindMask, Is.EqualTo(SegmentLayout.KindSendRec));
            Assert.That(m.Type % 100, Is.EqualTo(99));
            requests++;
        }
        Assert.That(requests, Is.EqualTo(n / 100));
        while (queue.TryTake(EndpointNumber.Any, false, out _, out _, out _))
        {
        }
        Assert.That(queue.Steps - before, Is.LessThanOrEqualTo(4L * n));
    }

    /// <summary>Random operations against a plain list: same message taken every time.</summary>
    [Test]
    public void BehavesLikeTheSimpleScan()
    {
        Gen<(int Op, int Source, bool Request)> op = Gen.Select(Gen.Int[0, 9], Gen.Int[0, 5], Gen.Bool);
        op.Array[0, 400].Sample(ops =>
        {
            DeferredQueue queue = NewQueue(bound: 32);
            var model = new List<HeldMessage>();
            int next = 0;
            foreach ((int kind, int source, bool request) in ops)
            {
                int src = source == 5 ? 1000 + source : source;    // 1000+: a source with no slot
                if (kind < 5)
                {
                    var held = new HeldMessage(From(src, next++), request ? SegmentLayout.KindSendRec : SegmentLayout.KindSend, (ulong)next);
                    queue.Add(held.Message, held.Meta, held.Incarnation);
                    model.Add(held);
                    continue;
                }
                if (kind == 9)
                {
                    var front = new List<HeldMessage> { new(From(src, next++), SegmentLayout.KindSend, 0) };
                    queue.InsertFront(front);
                    model.InsertRange(0, front);
                    continue;
                }
                int want = kind == 5 ? EndpointNumber.Any : src;
                bool requestsOnly = kind == 6 || (kind == 8 && request);
                int at = model.FindIndex(h => (want == EndpointNumber.Any || h.Message.Source == want) &&
                                              (!requestsOnly || (h.Meta & SegmentLayout.KindMask) == SegmentLayout.KindSendRec));
                bool took = queue.TryTake(want, requestsOnly, out Message m, out int meta, out ulong inc);
                if (took != at >= 0)
                {
                    throw new Exception($"take({want}, {requestsOnly}): queue {took}, model {at >= 0}");
                }
                if (took)
                {
                    HeldMessage expected = model[at];
                    model.RemoveAt(at);
                    if (m.Type != expected.Message.Type || meta != expected.Meta || inc != expected.Incarnation)
                    {
                        throw new Exception($"took {m.Type}, expected {expected.Message.Type}");
                    }
                }
                if (queue.Count != model.Count || queue.IsFull != model.Count >= 32)
                {
                    throw new Exception($"count {queue.Count}, model {model.Count}");
                }
            }
        });
    }
}
