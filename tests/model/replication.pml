/*
 * The replication protocol of Dvs (issue 13), checked by spin before it is built.
 * docs/replication.md describes the same protocol in words (its rules are numbered R1..R11 and
 * each names the property here that needs it); README.md in this folder says how to run it.
 *
 * Three node hosts (the DC's nodes) and one replicated endpoint. Node 0 is its primary at epoch 1
 * and node 1 its backup; node 2 holds no copy (a witness that grants, and a spare that can be made
 * a backup); -DMEMBERS=7 makes nodes 1 and 2 backups, in that order. A configuration is (epoch, primary, members); it
 * changes only through a new epoch that a majority of the three node hosts granted (GREQ / GRANT),
 * and each node persists the configuration it granted or learned last (its epoch record), which
 * is all a node keeps across a crash. The primary executes a request, sends its effect and its
 * exactly-once entry to every backup of the configuration (UPD) and releases the reply only when
 * every one of them acknowledged it (ACK); a new primary, a lagging or returning backup, and every
 * retransmission go by snapshot (SNAP: state + table, replacing). Clients (NC) make NREQ requests
 * each, one outstanding, stamped with a sequence, replay the same sequence, try the next node when
 * nothing answers, and follow redirects to newer epochs.
 *
 * The network is a bag of NB messages: any one can be delivered next (reordering), lost, or
 * duplicated; a send into a full bag is lost. Losses are unbounded in the safety checks, so every
 * partition (a node cut from the others for a while) is one of the runs searched; the liveness
 * check cuts a node explicitly (-DPARTITION). Timeouts fire whenever they like: a backup may
 * suspect a live primary, a primary a live backup; every suspicion may be false.
 *
 * Configurations (the default one is checked for every property; the others, for all safety
 * properties at once, in the test run): -DMEMBERS=7 (two backups), -DRECONFIG=1 (the primary
 * drops a backup it suspects), -DRECONFIG=2 (it re-makes one on a spare node), 3 (both), -DSWITCHOVER=1 (one planned
 * switch-over), -DDUPS=1 (the network duplicates a message), -DLOSSES=n (bounded losses).
 *
 * Variants that break one rule each (the check of the property named must then fail):
 *   -DASYNC            ack = primary: the reply leaves before the backups have the effect (no_loss)
 *   -DONE_GRANT        a candidate promotes itself on its own grant, no majority (one_primary)
 *   -DGRANT_SAME       a node grants an epoch it already granted (not strictly newer) (one_primary)
 *   -DVOLATILE_GRANTS  granted epochs are not persisted: a restart forgets them (no_stale_primary)
 *   -DNO_MEMBER_CHECK  a node grants to a candidate outside its recorded configuration (no_loss)
 *   -DNO_TABLE         an update carries the effect without its exactly-once entry (no_duplicate)
 *   -DSNAP_BACK        a late snapshot of the same epoch rolls a member back (no_loss, with -DDUPS=1)
 *   -DRECORD_NEWER     EPOCH-NEWER is recorded as if granted (no_loss, with -DRECONFIG=1)
 *   -DLOOSE_HANDOVER   a HANDOVER is taken over the taker's own candidacy (no_stale_primary, with -DSWITCHOVER=1)
 */

#ifndef NC
#define NC 1              /* clients */
#endif
#define NREQ 2            /* requests per client */
#ifndef NB
#define NB 3              /* messages in flight at most */
#endif
#ifndef CRASHES
#define CRASHES 1         /* node crashes (each followed by a restart), one node down at a time */
#endif
#ifndef DUPS
#define DUPS 0            /* duplicated messages (the -DDUPS=1 configuration: one) */
#endif
#ifndef SWITCHOVER
#define SWITCHOVER 0      /* 1: one planned switch-over (dvs failover) may start at any moment */
#endif
#ifndef RECONFIG
#define RECONFIG 0        /* 1: the primary may drop a backup it suspects; 2: re-make one on a spare node; 3: both */
#endif
#ifndef MEMBERS
#define MEMBERS 3         /* the configuration at epoch 1: primary 0 and backup 1 (7: backups 1 and 2) */
#endif
#ifndef MAXEP
#define MAXEP 3           /* epochs used at most: bounds the candidacies of a run */
#endif
#if defined(LIVENESS) && !defined(NO_PARTITION)
#define PARTITION         /* the liveness check cuts the primary's node off for good (or crashes a node) */
#endif
#if defined(LIVENESS) && !defined(LOSSES)
#define LOSSES 1          /* a liveness check needs a network that delivers at last */
#endif
#ifndef LOSSES
#define LOSSES 255        /* losses by the network (255: unbounded) */
#endif

/* ------------------------------------------------------------------ messages */
#define REQ      1        /* client -> node: a = client, b = seq (delivered at once, see request()) */
#define REPLY    2        /* primary -> client: a = client, b = seq, e = epoch */
#define REDIRECT 3        /* node -> client: a = client, b = the primary it knows, e = that epoch */
#define UPD      4        /* primary -> backup: e, a = client, b = seq (the effect + its table entry) */
#define SNAP     5        /* primary -> member: e, a = table, b = effects, c = members (replaces the state) */
#define ACK      6        /* backup -> primary: e, a = position (requests applied) */
#define GREQ     7        /* candidate -> node: grant epoch e to config (primary c, members a); b = candidate's synced epoch */
#define GRANT    8        /* node -> candidate: e granted (persisted before it is sent) */
#define NEWER    9        /* node -> an older primary or candidate: its record is e (primary b, members a): yield */
#define HANDOVER 10       /* old primary -> new (planned switch-over): e granted to you, members a */

#define MSG(t, src, dst, e, a, b, c) ((t) | ((src) << 4) | ((dst) << 7) | ((e) << 10) | ((a) << 13) | ((b) << 17) | ((c) << 21))
#define TY(x)  ((x) & 15)
#define SRC(x) (((x) >> 4) & 7)
#define DST(x) (((x) >> 7) & 7)
#define EP(x)  (((x) >> 10) & 7)
#define FA(x)  (((x) >> 13) & 15)
#define FB(x)  (((x) >> 17) & 15)
#define FC(x)  (((x) >> 21) & 15)

/* ------------------------------------------------------------------ node state */
#define R_DOWN    0
#define R_SPARE   1       /* up, holds no current copy (restarted, deposed, or outside the configuration) */
#define R_BACKUP  2       /* member: applies the primary's updates; synced when sep == ep */
#define R_CAND    3       /* asked for an epoch, collects grants; executes nothing */
#define R_PRIMARY 4       /* executes; replies once every member acknowledged */
#define R_HANDING 5       /* primary in a planned switch-over: paused, collects grants for its successor */

#define BIT(n) (1 << (n))
#define HANDED 8          /* grants[n] of an old primary that handed its role over and waits for the snapshot */

byte role[3];
byte sep[3];              /* the epoch whose state it holds: every request acknowledged up to it (volatile) */
byte gr[3];               /* persisted epoch record: highest epoch granted or learned ... */
byte rp[3];               /* ... its primary ... */
byte rm[3];               /* ... and its members (bit mask, the primary included) */
byte last[3 * NC];        /* exactly-once table: per client, last sequence applied (its reply cached) */
byte eff[3];              /* the state: bit c * NREQ + s - 1 = the effect of request (c, s) */
byte pend[3 * NC];        /* primary: per client, the request whose reply waits for acknowledgements */
byte acks[3];             /* primary: members that acknowledged its current position */
byte grants[3];           /* candidate: nodes that granted its epoch */
bool switched;            /* one planned switch-over per run */

byte cs[NC];              /* client: its current sequence (NREQ + 1: done) */
byte cdest[NC];           /* client: where it sends */
byte cdep[NC];            /* client: the epoch it knows */
bool sent[NC];            /* client: sent its current request to cdest already (a replay tries the next node) */
#define SENT(v) sent[c] = v

byte crashes = CRASHES, dups = DUPS, losses = LOSSES;
#ifdef PARTITION
byte cut = 3;             /* the node cut from the others (3: none); the liveness check cuts the primary */
#endif

#ifdef LIVENESS
#define GHOST hidden
#else
#define GHOST
#endif
GHOST byte effEp = 1;     /* highest epoch a majority of node hosts granted (or learned) */
GHOST byte stale[3];      /* per primary: it executed its pending request after a newer epoch took effect */
GHOST byte err;
#define E_LOSS   1
#define E_DUP    2
#define E_ORDER  4
#define E_TWO    8
#define E_STALE  16
#define FAIL(b) err = err | (b)

hidden int m, stmp;
hidden byte si, sj, hc, hs, hv, hk, hn, hm;

#define L(n, c) last[(n) * NC + (c)]
#define P(n, c) pend[(n) * NC + (c)]
#if NC == 1
#define POS(n) L(n, 0)
#define PACKL(n) L(n, 0)
#else
#define POS(n) (L(n, 0) + L(n, 1))
#define PACKL(n) (L(n, 0) | (L(n, 1) << 2))
#endif
#if NC == 1
#define SPOS(t) ((t) & 3)                     /* the position of a snapshot's table */
#else
#define SPOS(t) (((t) & 3) + ((t) >> 2))
#endif
#define EBIT(c, s) (1 << ((c) * NREQ + (s) - 1))
#define OTHERS(n) (rm[n] & ~BIT(n))           /* the backups of n's configuration */
#define ALLACK(n) ((acks[n] & OTHERS(n)) == OTHERS(n))
#define MAJ(mask) ((((mask) & 1) + (((mask) >> 1) & 1) + (((mask) >> 2) & 1)) >= 2)
#define GRCOUNT(f) ((gr[0] >= (f)) + (gr[1] >= (f)) + (gr[2] >= (f)))

#if NB == 3
#define ANY(P) (P(bag[0]) || P(bag[1]) || P(bag[2]))
#elif NB == 4
#define ANY(P) (P(bag[0]) || P(bag[1]) || P(bag[2]) || P(bag[3]))
#elif NB == 5
#define ANY(P) (P(bag[0]) || P(bag[1]) || P(bag[2]) || P(bag[3]) || P(bag[4]))
#endif
int bag[NB];              /* sorted, largest first, 0 = free: one state per multiset */

#define REPL(x)  ((x) != 0 && (TY(x) == UPD || TY(x) == SNAP || TY(x) == ACK || TY(x) == NEWER))
#define VOTE(x)  ((x) != 0 && (TY(x) == GREQ || TY(x) == GRANT || TY(x) == NEWER))
#define HAND(x)  ((x) != 0 && TY(x) == HANDOVER)
#define MINE(x)  ((x) != 0 && TY(x) <= REDIRECT && FA(x) == c)
#ifdef LIVENESS
/* Weak fairness is per process, not per message: timers fire only when nothing is in flight. */
#define RETX(P)   (bag[0] == 0)
/* ... and clients, whose timeouts are longer than the nodes', replay only when the nodes that
 * are up and connected are settled: no candidacy under way, no primary waiting for a member. */
#define SETTLED(n) (GONE(n) || (role[n] != R_CAND && role[n] != R_HANDING && (role[n] != R_PRIMARY || ALLACK(n))))
#define REPLAY_OK (bag[0] == 0 && SETTLED(0) && SETTLED(1) && SETTLED(2))
#define SAME_OK   (!sent[c])
#else
#define RETX(P)   (!ANY(P))
#define REPLAY_OK (!ANY(MINE))
#define SAME_OK   (!sent[c])
#endif

/* ------------------------------------------------------------------ network */
#ifdef PARTITION
#define LINKED(x) (cut == 3 || (SRC(x) != cut && DST(x) != cut))
#else
#define LINKED(x) true
#endif

inline put(mm) {
    if
    :: !LINKED(mm) -> skip  /* to or from a node that is cut off: lost */
    :: bag[NB - 1] == 0 ->
        bag[NB - 1] = mm;
        sj = NB - 1;
        do
        :: sj > 0 && bag[sj] > bag[sj - 1] ->
            stmp = bag[sj]; bag[sj] = bag[sj - 1]; bag[sj - 1] = stmp; sj--
        :: else -> break
        od
    :: else -> skip        /* the network is full: the message is lost */
    fi
}

inline take(i) {
    m = bag[i];
    bag[i] = 0;
    sj = i;
    do
    :: sj < NB - 1 && bag[sj] < bag[sj + 1] ->
        stmp = bag[sj]; bag[sj] = bag[sj + 1]; bag[sj + 1] = stmp; sj++
    :: else -> break
    od
}

/* Sends to every other node of a mask. */
inline put_others(mask, t, e, a, b, c) {
    hn = 0;
    do
    :: hn < 3 ->
        if :: hn != me && (mask & BIT(hn)) -> put(MSG(t, me, hn, e, a, b, c)) :: else -> skip fi;
        hn++
    :: else -> break
    od
}

/* ------------------------------------------------------------------ state */
inline clear_state(n) {
    hc = 0;
    do
    :: hc < NC -> L(n, hc) = 0; P(n, hc) = 0; hc++
    :: else -> break
    od;
    eff[n] = 0;
    sep[n] = 0;
    acks[n] = 0;
    grants[n] = 0;
    stale[n] = 0
}

/* Takes a snapshot: table and effects replace what the node had. */
inline restore(n, tbl, effects) {
    L(n, 0) = tbl & 3;
#if NC > 1
    L(n, 1) = tbl >> 2;
#endif
    eff[n] = effects;
#ifdef NO_TABLE
    /* the broken variant: the table did not travel, only the effects */
    L(n, 0) = 0;
#if NC > 1
    L(n, 1) = 0;
#endif
#endif
}

/* Records a granted or learned configuration (persisted before anything is sent). */
inline record(n, f, p, mask) {
    gr[n] = f;
    rp[n] = p;
    rm[n] = mask;
    if :: GRCOUNT(f) >= 2 && f > effEp -> effEp = f :: else -> skip fi
}

inline execute(c, s) {
    if :: eff[me] & EBIT(c, s) -> FAIL(E_DUP) :: else -> skip fi;
    if :: s > 1 && !(eff[me] & EBIT(c, s - 1)) -> FAIL(E_ORDER) :: else -> skip fi;
    eff[me] = eff[me] | EBIT(c, s);
    L(me, c) = s
}

/* The primary releases every reply that waited, once every member acknowledged. */
inline release() {
    if
    :: ALLACK(me) ->
        hc = 0;
        do
        :: hc < NC ->
            if
            :: P(me, hc) != 0 ->
                if :: stale[me] -> FAIL(E_STALE) :: else -> skip fi;
                put(MSG(REPLY, me, 3 + hc, gr[me], hc, P(me, hc), 0));
                P(me, hc) = 0
            :: else -> skip
            fi;
            hc++
        :: else -> break
        od;
        stale[me] = 0
    :: else -> skip
    fi
}

/* A node becomes the primary of the epoch it was granted: it brings every member to its state
 * (a snapshot) before it answers anything. */
inline become_primary(f) {
    if
    :: role[0] == R_PRIMARY && gr[0] == f && me != 0 -> FAIL(E_TWO)
    :: role[1] == R_PRIMARY && gr[1] == f && me != 1 -> FAIL(E_TWO)
    :: role[2] == R_PRIMARY && gr[2] == f && me != 2 -> FAIL(E_TWO)
    :: else -> skip
    fi;
    role[me] = R_PRIMARY;
    sep[me] = f;
    acks[me] = 0;
    grants[me] = 0;
    put_others(rm[me], SNAP, f, PACKL(me), eff[me], rm[me]);
    release()
}

/* Starts a candidacy for the epoch after the newest it knows: for itself (p == me) or, in a
 * planned switch-over, for its successor p. Its own grant is persisted first. */
inline ask(p, mask) {
    hv = gr[me] + 1;
    record(me, hv, p, mask);
    grants[me] = BIT(me);
    put_others(7, GREQ, hv, mask, sep[me], p)
}

/* Steps down on learning a newer configuration: a member waits for its primary's snapshot,
 * anyone else holds no current copy. Replies it owed are never released. */
inline step_down(n) {
    hc = 0;
    do
    :: hc < NC -> P(n, hc) = 0; hc++
    :: else -> break
    od;
    acks[n] = 0;
    grants[n] = 0;
    stale[n] = 0;
    if
    :: (rm[n] & BIT(n)) && (role[n] == R_BACKUP || role[n] == R_CAND || role[n] == R_HANDING) -> role[n] = R_BACKUP
    :: else -> role[n] = R_SPARE
    fi
}

/* ------------------------------------------------------------------ node */
#ifdef SNAP_BACK
#define SNAP_BACK 1
#else
#define SNAP_BACK 0
#endif
#ifdef LOOSE_HANDOVER
#define LOOSE_HANDOVER 1
#else
#define LOOSE_HANDOVER 0
#endif

/* The grant rule (R4, R5): a strictly newer epoch, for a proposed primary of the configuration
 * it recorded, whose state is not older than its own. */
#ifdef GRANT_SAME
#define NEWER_EPOCH (EP(m) >= gr[me] && !(EP(m) == gr[me] && rp[me] == me))
#else
#define NEWER_EPOCH (EP(m) > gr[me])
#endif
#ifdef NO_MEMBER_CHECK
#define MEMBER_OK true
#else
#define MEMBER_OK (rm[me] & BIT(FC(m)))
#endif

inline on_req() {
    hc = FA(m);
    hs = FB(m);
    if
    :: role[me] == R_PRIMARY ->
        if
        :: hs == L(me, hc) + 1 && ALLACK(me) && P(me, hc) == 0 ->
            execute(hc, hs);
            if :: effEp > gr[me] -> stale[me] = 1 :: else -> skip fi;
            P(me, hc) = hs;
            acks[me] = 0;
            put_others(rm[me], UPD, gr[me], hc, hs, 0);
#ifdef ASYNC
            if :: stale[me] -> FAIL(E_STALE) :: else -> skip fi;
            put(MSG(REPLY, me, 3 + hc, gr[me], hc, hs, 0));
            P(me, hc) = 0;
            stale[me] = 0
#else
            release()
#endif
        :: hs == L(me, hc) && ALLACK(me) && P(me, hc) == 0 -> put(MSG(REPLY, me, 3 + hc, gr[me], hc, hs, 0))
        :: hs > L(me, hc) + 1 ->
            /* the client had s - 1 answered and this state lacks it: a loss, unless this primary
             * was deposed without knowing it yet (it can release nothing any more: no_stale_primary) */
            if :: gr[me] >= effEp -> FAIL(E_LOSS) :: else -> skip fi
        :: else -> skip                           /* waits for acknowledgements, or an old duplicate */
        fi
    :: (role[me] == R_BACKUP || role[me] == R_SPARE) && rp[me] != me ->
        put(MSG(REDIRECT, me, 3 + hc, gr[me], hc, rp[me], 0))
    :: else -> skip
    fi
}

inline on_msg() {
    if
    :: TY(m) == REQ -> on_req()
    :: TY(m) == UPD ->
        if
        :: EP(m) < gr[me] -> put(MSG(NEWER, me, SRC(m), gr[me], rm[me], rp[me], 0))
        :: role[me] == R_BACKUP && EP(m) == gr[me] && sep[me] == gr[me] && rp[me] == SRC(m) ->
            hc = FA(m);
            hs = FB(m);
            if
            :: hs == L(me, hc) + 1 ->
                if :: eff[me] & EBIT(hc, hs) -> FAIL(E_DUP) :: else -> skip fi;
                eff[me] = eff[me] | EBIT(hc, hs);
#ifndef NO_TABLE
                L(me, hc) = hs;
#endif
                put(MSG(ACK, me, SRC(m), gr[me], POS(me), 0, 0))
            :: hs <= L(me, hc) -> put(MSG(ACK, me, SRC(m), gr[me], POS(me), 0, 0))
            :: else -> skip     /* a gap: the primary's retransmission is a snapshot */
            fi
        :: else -> skip         /* not synced for this epoch: waits for the snapshot */
        fi
    :: TY(m) == SNAP ->
        if
        :: EP(m) < gr[me] -> put(MSG(NEWER, me, SRC(m), gr[me], rm[me], rp[me], 0))
        :: (EP(m) > gr[me] || rp[me] == SRC(m)) && (FC(m) & BIT(me)) ->
            if :: EP(m) > gr[me] -> record(me, EP(m), SRC(m), FC(m)) :: else -> skip fi;
            if
            :: role[me] == R_BACKUP && sep[me] == EP(m) && SPOS(FA(m)) < POS(me) && !SNAP_BACK ->
                /* an older snapshot of this epoch (late or duplicated): a member's position never
                 * goes back (R12: spin found a backup rolled back behind an acknowledged update) */
                skip
            :: else ->
                step_down(me);
                role[me] = R_BACKUP;
                restore(me, FA(m), FB(m));
                sep[me] = EP(m)
            fi;
            put(MSG(ACK, me, SRC(m), gr[me], POS(me), 0, 0))
        :: else -> skip
        fi
    :: TY(m) == ACK ->
        if
        :: role[me] == R_PRIMARY && EP(m) == gr[me] && FA(m) == POS(me) ->
            acks[me] = acks[me] | BIT(SRC(m));
            release()
        :: else -> skip
        fi
    :: TY(m) == NEWER ->
        /* yield, but record nothing: the newer epoch may be a candidacy that never had a majority
         * (taking it as granted, spin found a grant repeated for it and requests lost, R13) */
        if
#ifdef RECORD_NEWER
        :: EP(m) > gr[me] -> record(me, EP(m), FB(m), FA(m)); step_down(me)
#endif
        :: EP(m) > gr[me] && (role[me] == R_PRIMARY || role[me] == R_CAND || role[me] == R_HANDING) -> step_down(me)
        :: else -> skip
        fi
    :: TY(m) == GREQ ->
        /* FC = the proposed primary, FA = its members, FB = the candidate's synced epoch */
        if
        :: NEWER_EPOCH && MEMBER_OK && FB(m) >= sep[me] ->
            record(me, EP(m), FC(m), FA(m));
            step_down(me);
            put(MSG(GRANT, me, SRC(m), EP(m), 0, 0, 0))
        :: EP(m) == gr[me] && rp[me] == FC(m) && rm[me] == FA(m) ->
            /* granted already (the GRANT was lost): the same answer again */
            put(MSG(GRANT, me, SRC(m), EP(m), 0, 0, 0))
        :: EP(m) < gr[me] && (role[me] == R_PRIMARY || role[me] == R_BACKUP) ->
            /* a candidate behind the configuration: tell it */
            put(MSG(NEWER, me, SRC(m), gr[me], rm[me], rp[me], 0))
        :: else -> skip
        fi
    :: TY(m) == GRANT ->
        if
        :: (role[me] == R_CAND || role[me] == R_HANDING) && EP(m) == gr[me] ->
            grants[me] = grants[me] | BIT(SRC(m));
            if
            :: MAJ(grants[me]) ->
                if
                :: role[me] == R_CAND -> become_primary(gr[me])
                :: else ->
                    /* switch-over: the epoch is the successor's; hand it over, then follow it */
                    hv = gr[me];
                    step_down(me);
                    role[me] = R_BACKUP;
                    grants[me] = HANDED;
                    put(MSG(HANDOVER, me, rp[me], hv, rm[me], 0, 0))
                fi
            :: else -> skip
            fi
        :: else -> skip
        fi
    :: TY(m) == HANDOVER ->
        if
        :: EP(m) < gr[me] -> put(MSG(NEWER, me, SRC(m), gr[me], rm[me], rp[me], 0))
        :: (role[me] == R_BACKUP || role[me] == R_SPARE) && sep[me] > 0 && (EP(m) > gr[me] || (EP(m) == gr[me] && rp[me] == me && (rm[me] == FA(m) || LOOSE_HANDOVER))) ->
            /* the epoch the majority granted for it: newer than its record, or the very record
             * (not its own candidacy for that epoch: taking that, spin found it serving alone
             * after a newer epoch took effect, R14) */
            if :: EP(m) > gr[me] -> record(me, EP(m), me, FA(m)) :: else -> skip fi;
            become_primary(EP(m))
        :: else -> skip
        fi
    :: else -> skip
    fi
}


#define DELIVER(i) :: d_step { bag[i] != 0 && DST(bag[i]) == me && role[me] != R_DOWN && LINKED(bag[i]) -> take(i); \
    printf("node %d (role %d, epoch %d, granted %d) gets type %d from %d: epoch %d, a %d, b %d, c %d\n", me, role[me], gr[me], gr[me], TY(m), SRC(m), EP(m), FA(m), FB(m), FC(m)); \
    on_msg(); sj = 0 }

/* A node may stand as a candidate only while it is a synced member of its recorded configuration. */
#define ELIGIBLE(n) ((role[n] == R_BACKUP || role[n] == R_CAND) && sep[n] > 0 && (rm[n] & BIT(n)) && gr[n] < MAXEP)
#ifdef LIVENESS
/* The failure detector is right at last: the primary is suspected only when it is down or cut,
 * and only the first live backup in the configuration's order stands. */
/* down, restarted (a new incarnation holds no copy) or cut off */
#ifdef PARTITION
#define GONE(n) (role[n] == R_DOWN || role[n] == R_SPARE || cut == (n))
#else
#define GONE(n) (role[n] == R_DOWN || role[n] == R_SPARE)
#endif
#define PASS(n, k) ((k) == rp[n] || GONE(k) || !(rm[n] & BIT(k)))
#define SUSPECTS(n) (rp[n] != (n) && GONE(rp[n]) && ((n) == 0 || PASS(n, 0)) && ((n) < 2 || PASS(n, 1)))
#define DROPS(n, b) GONE(b)
#define SWITCH_OK false
#else
#define SUSPECTS(n) true
#define DROPS(n, b) (RECONFIG & 1)
#define SWITCH_OK SWITCHOVER
#endif

#define READD(n, k) ((RECONFIG & 2) && role[k] == R_SPARE)

proctype Node(byte me) {
end:
    do
    DELIVER(0)
    DELIVER(1)
    DELIVER(2)
#if NB > 3
    DELIVER(3)
#endif
#if NB > 4
    DELIVER(4)
#endif
    /* failover: a backup suspects its primary (rightly or not) and asks for the next epoch,
     * without the old primary */
    :: d_step { ELIGIBLE(me) && SUSPECTS(me) ->
        printf("node %d asks for epoch %d (primary %d suspected)\n", me, gr[me] + 1, rp[me]);
        role[me] = R_CAND;
        hk = rm[me];
        if :: rp[me] != me -> hk = hk & ~BIT(rp[me]) :: else -> skip fi;   /* a retry keeps its mask */
        ask(me, hk);
#ifdef ONE_GRANT
        become_primary(hv);     /* the broken variant: its own grant is enough */
#endif
        sj = 0 }
    /* the primary drops a backup it suspects (rightly or not), through a new epoch */
    :: d_step { role[me] == R_PRIMARY && gr[me] < MAXEP && (OTHERS(me) & BIT((me + 1) % 3)) && DROPS(me, (me + 1) % 3) ->
        printf("node %d drops backup %d\n", me, (me + 1) % 3);
        role[me] = R_CAND; hk = rm[me] & ~BIT((me + 1) % 3); ask(me, hk); sj = 0 }
    :: d_step { role[me] == R_PRIMARY && gr[me] < MAXEP && (OTHERS(me) & BIT((me + 2) % 3)) && DROPS(me, (me + 2) % 3) ->
        printf("node %d drops backup %d\n", me, (me + 2) % 3);
        role[me] = R_CAND; hk = rm[me] & ~BIT((me + 2) % 3); ask(me, hk); sj = 0 }
    /* the primary re-makes a backup on a node that is up and holds no copy */
    :: d_step { role[me] == R_PRIMARY && gr[me] < MAXEP && !(rm[me] & BIT((me + 1) % 3)) && READD(me, (me + 1) % 3) ->
        printf("node %d re-makes a backup on %d\n", me, (me + 1) % 3);
        role[me] = R_CAND; hk = rm[me] | BIT((me + 1) % 3); ask(me, hk); sj = 0 }
    :: d_step { role[me] == R_PRIMARY && gr[me] < MAXEP && !(rm[me] & BIT((me + 2) % 3)) && READD(me, (me + 2) % 3) ->
        printf("node %d re-makes a backup on %d\n", me, (me + 2) % 3);
        role[me] = R_CAND; hk = rm[me] | BIT((me + 2) % 3); ask(me, hk); sj = 0 }
    /* planned switch-over (dvs failover): the primary, with every reply released, pauses and
     * asks for the next epoch for its first backup */
    :: d_step { SWITCH_OK && !switched && role[me] == R_PRIMARY && gr[me] < MAXEP && ALLACK(me) && OTHERS(me) != 0 ->
        switched = 1;
        hk = (me + 1) % 3;
        if :: !(rm[me] & BIT(hk)) -> hk = (me + 2) % 3 :: else -> skip fi;
        printf("node %d hands the primary role over to %d\n", me, hk);
        role[me] = R_HANDING;
        hm = rm[me];
        ask(hk, hm); sj = 0 }
    /* the switch-over times out: like a migration's rollback, the old primary serves on, at a newer epoch */
    :: d_step { role[me] == R_HANDING && gr[me] < MAXEP -> role[me] = R_CAND; hm = rm[me]; ask(me, hm); sj = 0 }
    /* retransmissions, when nothing of the exchange is in flight */
    :: d_step { (role[me] == R_CAND || role[me] == R_HANDING) && RETX(VOTE) ->
        put_others(7 & ~grants[me], GREQ, gr[me], rm[me], sep[me], rp[me]); sj = 0 }
    :: d_step { role[me] == R_PRIMARY && !ALLACK(me) && RETX(REPL) ->
        /* catch-up of a lagging backup: by snapshot */
        put_others(rm[me] & ~acks[me], SNAP, gr[me], PACKL(me), eff[me], rm[me]); sj = 0 }
    :: d_step { role[me] == R_BACKUP && grants[me] == HANDED && RETX(HAND) ->
        /* HANDOVER may have been lost: the old primary repeats it until its successor's snapshot comes */
        put(MSG(HANDOVER, me, rp[me], gr[me], rm[me], 0, 0)); sj = 0 }
    /* restart: only the epoch record survived */
    :: d_step { role[me] == R_DOWN ->
        printf("node %d restarts (record: epoch %d, primary %d, members %d)\n", me, gr[me], rp[me], rm[me]);
        role[me] = R_SPARE; sj = 0 }
    od
}

/* ------------------------------------------------------------------ client */
inline on_client_msg() {
    if
    :: TY(m) == REPLY && FB(m) == cs[c] -> cs[c]++; SENT(0)
    :: TY(m) == REDIRECT && EP(m) > cdep[c] -> cdest[c] = FB(m); cdep[c] = EP(m); SENT(0)
    :: else -> skip
    fi
}

#define CDELIVER(i) :: d_step { bag[i] != 0 && DST(bag[i]) == 3 + c -> take(i); \
    printf("client %d (at seq %d) gets type %d from %d: epoch %d, b %d\n", c, cs[c], TY(m), SRC(m), EP(m), FB(m)); \
    on_client_msg(); sj = 0 }

/* A request reaches its node at once (or never: then it is as if not sent yet, and the client
 * replays). Late copies of a request are the replays the client makes anyway. */
inline request() {
    printf("client %d sends request %d to node %d\n", c, cs[c], cdest[c]);
    me = cdest[c];
    if
    :: role[me] != R_DOWN && LINKED(MSG(REQ, 3 + c, me, 0, 0, 0, 0)) ->
        m = MSG(REQ, 3 + c, me, 0, c, cs[c], 0);
        on_req()
    :: else -> skip
    fi;
    me = 0
}

proctype Client(byte c) {
    byte me;      /* the node a request reaches: set and reset within one step */
end:
    do
    /* send, or replay the same request (same sequence) when no answer to it is in flight */
    :: d_step { cs[c] <= NREQ && REPLAY_OK && SAME_OK -> SENT(1); request(); sj = 0 }
    /* nothing answers: try the next node */
    :: d_step { cs[c] <= NREQ && REPLAY_OK -> cdest[c] = (cdest[c] + 1) % 3; request(); sj = 0 }
    CDELIVER(0)
    CDELIVER(1)
    CDELIVER(2)
#if NB > 3
    CDELIVER(3)
#endif
#if NB > 4
    CDELIVER(4)
#endif
    od
}

/* ------------------------------------------------------------------ faults */
inline crash(n) {
    printf("node %d crashes (role %d)\n", n, role[n]);
    crashes--;
    role[n] = R_DOWN;
    clear_state(n);
#ifdef VOLATILE_GRANTS
    /* the broken variant: the record is lost, the node comes back from its ini's configuration */
    gr[n] = 1; rp[n] = 0; rm[n] = MEMBERS;
#endif
}

#define DROP(i) :: d_step { bag[i] != 0 && losses > 0 -> printf("network loses type %d to %d\n", TY(bag[i]), DST(bag[i])); if :: losses < 255 -> losses-- :: else -> skip fi; take(i); sj = 0 }
#define DUP(i)  :: d_step { bag[i] != 0 && dups > 0 -> printf("network duplicates type %d to %d\n", TY(bag[i]), DST(bag[i])); dups--; put(bag[i]); sj = 0 }
#ifdef PARTITION
#define CUTDROP(i) :: d_step { bag[i] != 0 && !LINKED(bag[i]) -> take(i); sj = 0 }
#else
#define CUTDROP(i)
#endif
#ifdef PARTITION
#define UP(n) (role[n] != R_DOWN && cut == 3)
#else
#define UP(n) (role[n] != R_DOWN)
#endif

proctype Faults() {
end:
    do
    :: d_step { crashes > 0 && UP(0) && UP(1) && UP(2) -> crash(0); sj = 0 }
    :: d_step { crashes > 0 && UP(0) && UP(1) && UP(2) -> crash(1); sj = 0 }
    :: d_step { crashes > 0 && UP(0) && UP(1) && UP(2) -> crash(2); sj = 0 }
#ifdef PARTITION
    /* the primary's node is cut from the others and stays cut */
    :: d_step { cut == 3 && crashes == CRASHES -> hk = 0; do :: hk < 2 && role[hk] != R_PRIMARY -> hk++ :: else -> break od; cut = hk; printf("node %d is cut off\n", cut); sj = 0 }
#endif
    DROP(0) DROP(1) DROP(2)
    DUP(0) DUP(1) DUP(2)
    CUTDROP(0) CUTDROP(1) CUTDROP(2)
#if NB > 3
    DROP(3) DUP(3) CUTDROP(3)
#endif
#if NB > 4
    DROP(4) DUP(4) CUTDROP(4)
#endif
    od
}

init {
    atomic {
        si = 0;
        do
        :: si < 3 ->
            gr[si] = 1; rp[si] = 0; rm[si] = MEMBERS;
            if :: MEMBERS & BIT(si) -> sep[si] = 1; role[si] = R_BACKUP :: else -> role[si] = R_SPARE fi;
            si++
        :: else -> break
        od;
        role[0] = R_PRIMARY;
        acks[0] = MEMBERS & 6;
        si = 0;
        do
        :: si < NC -> cs[si] = 1; cdest[si] = 0; cdep[si] = 1; si++
        :: else -> break
        od;
        run Node(0);
        run Node(1);
        run Node(2);
        si = 0;
        do
        :: si < NC -> run Client(si); si++
        :: else -> break
        od;
        run Faults()
    }
}

/* ------------------------------------------------------------------ properties */
/* A primary of the newest epoch in effect holds the effect of every request a client was answered. */
#define KEPT(n, c) (!(role[n] == R_PRIMARY && gr[n] >= effEp) || ((eff[n] >> ((c) * NREQ)) & ((1 << (cs[c] - 1)) - 1)) == ((1 << (cs[c] - 1)) - 1))
#if NC == 1
#define ALL_KEPT (KEPT(0, 0) && KEPT(1, 0) && KEPT(2, 0))
#define CLIENTS_DONE (cs[0] > NREQ)
#else
#define ALL_KEPT (KEPT(0, 0) && KEPT(1, 0) && KEPT(2, 0) && KEPT(0, 1) && KEPT(1, 1) && KEPT(2, 1))
#define CLIENTS_DONE (cs[0] > NREQ && cs[1] > NREQ)
#endif
#define TWO(i, j) (role[i] == R_PRIMARY && role[j] == R_PRIMARY && gr[i] == gr[j])
#ifdef PARTITION
#define SERVING(n) (role[n] == R_PRIMARY && ALLACK(n) && cut != (n))
#else
#define SERVING(n) (role[n] == R_PRIMARY && ALLACK(n))
#endif
#define SOMEONE_SERVES (SERVING(0) || SERVING(1) || SERVING(2))

ltl no_loss          { [] (!(err & E_LOSS) && ALL_KEPT) }
ltl no_duplicate     { [] !(err & E_DUP) }
ltl order            { [] !(err & E_ORDER) }
ltl one_primary      { [] (!(err & E_TWO) && !TWO(0, 1) && !TWO(0, 2) && !TWO(1, 2)) }
ltl no_stale_primary { [] !(err & E_STALE) }
/* all of the above at once: one search for each further configuration */
ltl safety           { [] (!err && ALL_KEPT && !TWO(0, 1) && !TWO(0, 2) && !TWO(1, 2)) }
/* liveness (-DLIVENESS: bounded losses, a right failure detector, weak fairness): with a
 * majority up and connected, a failover ends with a primary that serves, and every client gets
 * all its answers. */
ltl failover_ends    { [] <> SOMEONE_SERVES }
ltl clients_answered { <> CLIENTS_DONE }
