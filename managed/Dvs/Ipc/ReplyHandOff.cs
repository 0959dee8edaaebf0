using Dvs.Layout;

namespace Dvs.Ipc;

/// <summary>
/// The hand-off of a reply, or of a failure, into a caller's slot (<see cref="ReplyWord"/>),
/// written once for the server's own Reply, the node host's delivery of a remote one, and
/// everyone who ends a caller's wait with an error.
/// </summary>
/// <remarks>
/// A caller that gave up and was unbound, then bound again under the same endpoint number (same
/// process or another), starts its request sequences over: its new request can wait with the
/// very word the old request had. So the word alone does not prove that the reply is for the
/// binding that waits; the bind count does. It is read after the CAS that claimed the word: a
/// binding writes Awaiting only after its bind, so the CAS that saw a binding's Awaiting also
/// sees that binding's bind count. On a mismatch the word goes back to Awaiting, untouched for
/// the binding that owns it.
/// </remarks>
internal static unsafe class ReplyHandOff
{
    /// <summary>Bind count to pass when the reply's binding is not known (node-internal completions).</summary>
    public const uint AnyBinding = uint.MaxValue;

    /// <summary>
    /// Hands <paramref name="reply"/> to the caller in <paramref name="caller"/> if it still waits
    /// for request <paramref name="sequence"/> from <paramref name="from"/> and is the binding
    /// <paramref name="bindCount"/>; wakes it. False when nobody waits for exactly that reply.
    /// </summary>
    /// <remarks>Outcome: <see cref="ReplyWord.Done"/>, or <see cref="ReplyWord.Failed"/> with the DvsError in the reply's Type.</remarks>
    public static bool TryDeliver(EndpointSlot* caller, int sequence, int from, uint bindCount, in Message reply, uint outcome)
    {
        ulong awaiting = ReplyWord.Make(ReplyWord.Awaiting, sequence, from);
        ulong writing = ReplyWord.Make(ReplyWord.Writing, sequence, from);
        if (Interlocked.CompareExchange(ref caller->ReplyWord, writing, awaiting) != awaiting)
        {
            return false;
        }
        if (bindCount != AnyBinding &&
            ((Volatile.Read(ref caller->BindCount) ^ bindCount) & ClientIncarnation.BindCountMask) != 0)
        {
            Interlocked.CompareExchange(ref caller->ReplyWord, awaiting, writing);
            return false;
        }
        caller->Reply = reply;
        // Release: the reply is written before the word says so; Ring fences before it reads Sleeping.
        Volatile.Write(ref caller->ReplyWord, ReplyWord.Make(outcome, sequence, from));
        Doorbell.Ring(caller);
        return true;
    }

    /// <summary>
    /// Ends the wait of the caller in <paramref name="caller"/> if it still awaits exactly
    /// <paramref name="awaiting"/> (a word read from it): with <see cref="ReplyWord.PeerDied"/> or
    /// <see cref="ReplyWord.PeerDown"/>, or <see cref="ReplyWord.Failed"/> carrying <paramref name="error"/>.
    /// </summary>
    public static bool TryFail(EndpointSlot* caller, ulong awaiting, uint outcome, DvsError error = DvsError.Generic)
    {
        int sequence = ReplyWord.Sequence(awaiting);
        int from = ReplyWord.From(awaiting);
        if (outcome == ReplyWord.Failed)
        {
            Message failure = default;
            failure.Source = from;
            failure.Type = (int)error;
            return TryDeliver(caller, sequence, from, AnyBinding, in failure, ReplyWord.Failed);
        }
        if (Interlocked.CompareExchange(ref caller->ReplyWord, ReplyWord.Make(outcome, sequence, from), awaiting) != awaiting)
        {
            return false;
        }
        Doorbell.Ring(caller);
        return true;
    }
}
