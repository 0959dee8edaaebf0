/*
 * The FENCE of docs/protocol.md: per-sender FIFO and exactly-once of one-way messages across a
 * migration commit, with three nodes and two paths. P (a third node) streams N one-way messages
 * to an endpoint that moves from S to T. Each ordered pair of nodes has one reliable FIFO session
 * (what ReliableSession gives): P->S, P->T, S->T, T->P. S is paused (the migration started) and
 * holds what reaches it; at some moment it commits: HANDOVER, then what it held, then it forwards
 * whatever still comes (a stub). T binds at HANDOVER and announces itself to P (BIND); from then
 * on P sends to T directly, while its older messages may still be on the way P -> S -> T.
 * With the fence P sends FENCE to S when it switches; S forwards it behind P's messages; T holds
 * P's direct messages until it arrives. -DNOFENCE: without it (spin finds the reordering).
 * Property (assertions): T executes P's messages exactly 1, 2, ..., N, in that order, all of them.
 */
#ifndef N
#define N 3
#endif

mtype = { DATA, FENCE, HANDOVER, BIND };

chan p_to_s = [N + 1] of { mtype, byte };
chan p_to_t = [N] of { mtype, byte };
chan s_to_t = [N + 3] of { mtype, byte };
chan t_to_p = [1] of { mtype, byte };

byte next = 1;          /* T: the sequence P's next message must have */
bool committed = false; /* S handed the endpoint over */

inline execute(v) {
    assert(v == next);  /* none lost, none twice, none overtaken */
    next++
}

active proctype P() {
    byte seq = 1;
    bool direct = false;
    do
    :: seq <= N ->
        if
        :: direct -> p_to_t!DATA, seq
        :: else -> p_to_s!DATA, seq
        fi;
        seq++
    :: !direct && t_to_p?[BIND] ->
        t_to_p?BIND, _;
        direct = true;
#ifndef NOFENCE
        p_to_s!FENCE, 0     /* behind everything P sent S */
#endif
    :: seq > N -> break
    od
}

active proctype S() {
    chan held = [N + 1] of { mtype, byte };
    mtype k;
    byte v;
end:
    do
    :: !committed ->
        s_to_t!HANDOVER, 0;
        do
        :: held?k, v -> s_to_t!k, v
        :: empty(held) -> break
        od;
        committed = true
    :: p_to_s?k, v ->
        if
        :: committed -> s_to_t!k, v   /* a stub forwards, FENCE like a message */
        :: else -> held!k, v      /* paused: held for the target */
        fi
    od
}

active proctype T() {
    bool fenced = false;
    chan hold = [N] of { mtype, byte };
    mtype k;
    byte v;
end:
    do
    :: s_to_t?k, v ->
        if
        :: k == HANDOVER -> t_to_p!BIND, 0
        :: k == DATA -> execute(v)
        :: k == FENCE ->
            fenced = true;
            do
            :: hold?k, v -> execute(v)
            :: empty(hold) -> break
            od
        fi
    :: p_to_t?k, v ->
#ifndef NOFENCE
        if
        :: !fenced -> hold!k, v   /* P's FENCE is due: behind what still comes through S */
        :: else -> execute(v)
        fi
#else
        execute(v)
#endif
    od
}

/* Once nothing can move: every message was executed (none held for ever, none lost). */
active proctype Quiet() {
    timeout -> assert(next == N + 1)
}
