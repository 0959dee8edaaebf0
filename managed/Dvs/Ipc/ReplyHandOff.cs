using System.Runtime.CompilerServices;
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
    // ---- the caller's side (the slot's owner)

    /// <summary>Arms the caller's word for request <paramref name="sequence"/> to <paramref name="from"/> (before the request is offered); the word armed.</summary>
    /// <param name="caller">The caller's own slot.</param>
    /// <param name="sequence">The request sequence.</param>
    /// <param name="from">The endpoint the reply must come from.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Await(EndpointSlot* caller, int sequence, int from)
    {
        ulong awaiting = ReplyWord.Make(ReplyWord.Awaiting, sequence, from);
        Volatile.Write(ref caller->ReplyWord, awaiting);
        return awaiting;
    }

    /// <summary>Disarms the word of a request that was never sent.</summary>
    /// <param name="caller">The caller's own slot.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Withdraw(EndpointSlot* caller) => Volatile.Write(ref caller->ReplyWord, 0UL);

    /// <summary>
    /// One look for the outcome: 1 with the reply; a DvsError (negative) when the wait ended with
    /// a failure; 0 while the reply is awaited or being written. Takes the outcome (the word goes idle).
    /// </summary>
    /// <param name="caller">The caller's own slot.</param>
    /// <param name="reply">The reply, when 1.</param>
    /// <param name="awaited">True when 0 means no reply is being written (the caller may still give up).</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int TryTake(EndpointSlot* caller, ref Message reply, out bool awaited)
    {
        ulong word = Volatile.Read(ref caller->ReplyWord);
        uint state = ReplyWord.State(word);
        awaited = state == ReplyWord.Awaiting;
        if (state == ReplyWord.Done)
        {
            reply = caller->Reply;
            Volatile.Write(ref caller->ReplyWord, 0UL);
            caller->Replies++;
            return 1;
        }
        if (state >= ReplyWord.PeerDied)
        {
            int error = state switch
            {
                ReplyWord.PeerDown => (int)DvsError.NotConnected,
                ReplyWord.Failed => caller->Reply.Type < 0 ? caller->Reply.Type : (int)DvsError.Generic,
                _ => (int)DvsError.DstDied,
            };
            Volatile.Write(ref caller->ReplyWord, 0UL);
            return error;
        }
        return state == ReplyWord.Idle ? (int)DvsError.NotBind : 0;   // idle: our slot was reclaimed
    }

    /// <summary>
    /// The caller gives up its wait for <paramref name="awaiting"/>: true when nothing came and the
    /// word is idle again, false when a hand-off is being written or is done (then take it).
    /// </summary>
    /// <param name="caller">The caller's own slot.</param>
    /// <param name="awaiting">The word armed by <see cref="Await"/>.</param>
    public static bool TryGiveUp(EndpointSlot* caller, ulong awaiting)
    {
        ulong word = Volatile.Read(ref caller->ReplyWord);
        uint state = ReplyWord.State(word);
        return state == ReplyWord.Idle ||
               (state == ReplyWord.Awaiting && Interlocked.CompareExchange(ref caller->ReplyWord, 0UL, awaiting) == awaiting);
    }

    /// <summary>True when a reply or a failure has been handed off and waits to be taken.</summary>
    /// <param name="caller">The caller's own slot.</param>
    public static bool HasOutcome(EndpointSlot* caller)
    {
        uint state = ReplyWord.State(Volatile.Read(ref caller->ReplyWord));
        return state == ReplyWord.Done || state >= ReplyWord.PeerDied;
    }

    // ---- the replier's side (a server, the node host, whoever ends a wait with an error)

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
