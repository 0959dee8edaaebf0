/*
 * The migration protocol of Dvs as it should be (issue 12, item 5), checked by spin.
 * docs/protocol.md, "Migration protocol (as modelled)", describes the same protocol in words;
 * README.md in this folder says what each property means and how to run the checks.
 *
 * Two nodes host one endpoint: node 0 owns it first and migrates it once to node 1. Clients
 * (NC, one or two) each make NREQ requests, one outstanding at a time, stamped with a sequence;
 * the service's state and its exactly-once table are one thing here: per client, the sequence
 * of the last request executed (its reply is cached with it). The network is a bag of NB
 * messages: any message in it can be delivered next (reordering), lost, or duplicated; a full
 * bag drops what is sent (another loss). A node can crash in any phase (losing everything but
 * its persisted epoch and incarnation) and restart; timeouts fire whenever they like, so every
 * suspicion may be false: a node suspected while it is alive is part of every run.
 *
 * Variant -DCURRENT_COMMIT: the source commits (becomes a forwarding stub and drops the state)
 * as soon as the target said PREPARED, and the target serves on COMMIT, as the code does before
 * the redesign. spin finds the service lost when the target dies in between (lost_after_confirm).
 */

#ifndef NC
#define NC 1              /* clients */
#endif
#define NREQ 2            /* requests per client */
#ifndef NB
#define NB 4              /* messages in flight at most */
#endif
#ifndef CRASHES
#define CRASHES 1         /* node crashes (each followed by a restart), one node down at a time */
#endif
#ifndef DUPS
#define DUPS 1            /* duplicated messages */
#endif
#if defined(LIVENESS) && !defined(LOSSES)
#define LOSSES 1          /* a liveness check needs a network that delivers at last */
#endif
#ifndef ROLLBACK_STEP
#define ROLLBACK_STEP 2   /* a rollback serves at epoch + 2 (0 or 1: spin finds requests lost) */
#endif
#ifndef LOSSES
#define LOSSES 255        /* losses by the network (255: unbounded) */
#endif

/* ------------------------------------------------------------------ messages */
#define REQ        1      /* client -> node, or stub -> owner (forwarded): a = client, b = seq | 4 if forwarded */
#define REPLY      2      /* node -> client: a = client, b = seq, e = epoch */
#define LOST       3      /* node -> client: the service's state was lost (a distinct error) */
#define REDIRECT   4      /* stub -> client: a = client, b = owner, e = its epoch */
#define OFFER      5      /* source -> target: e = new epoch, a/b/c = table, held requests, lost flag */
#define PREPARED   6      /* target -> source: restored, holding (e) */
#define COMMIT     7      /* source -> target: bind at e, hold requests, confirm */
#define COMMITTED  8      /* target -> source: bound at e, serves once released (the confirmation) */
#define HANDOVER   9      /* source -> target: the role is yours, serve at e */
#define ABORT      10     /* source -> target: drop the copy; the endpoint is mine at e */
#define HELLO      11     /* restarted node -> peer: what do you know? a = its incarnation */
#define STATUS     12     /* peer -> restarted node: a = kind, b = owner, e = epoch, c = the HELLO's incarnation */
#define BIND       13     /* re-created endpoint -> peer: I own it at e */
#define NOCOPY     14     /* target -> source: COMMIT for e, but I hold no copy (restarted) */

#define MSG(t, src, dst, e, a, b, c) ((t) | ((src) << 4) | ((dst) << 6) | ((e) << 8) | ((a) << 12) | ((b) << 16) | ((c) << 20))
#define TY(x)  ((x) & 15)
#define SRC(x) (((x) >> 4) & 3)
#define DST(x) (((x) >> 6) & 3)
#define EP(x)  (((x) >> 8) & 15)
#define FA(x)  (((x) >> 12) & 15)
#define FB(x)  (((x) >> 16) & 15)
#define FC(x)  (((x) >> 20) & 15)

/* STATUS kinds */
#define K_OWNER 1         /* I own it (serving or migrating it) at e */
#define K_STUB  2         /* b owns it at e, as far as I know */
#define K_COPY  3         /* I hold your migration's copy for epoch e (prepared or committed) */

/* ------------------------------------------------------------------ node state */
#define R_DOWN     0
#define R_JOINING  1      /* restarted: learns from its peer before it serves or forwards */
#define R_SERVING  2      /* owner, executes */
#define R_PAUSED   3      /* owner (source) in a migration: holds requests, keeps state and role */
#define R_STUB     4      /* forwards to own[n] and redirects */
#define R_PREPARED 5      /* target: restored copy, not bound, holds requests */
#define R_PENDING  6      /* target: bound at cep, confirmed, executes nothing until HANDOVER */

#define SOURCE 0
#define TARGET 1

int bag[NB];              /* sorted, largest first, 0 = free: one state per multiset */
byte role[2];
byte ep[2];               /* the epoch it serves at or knows (volatile) */
byte pep[2];              /* highest epoch it has bound or learned, persisted: survives a crash */
byte inc[2];              /* incarnation, persisted: counts restarts (HELLO / STATUS match on it) */
byte own[2];              /* a stub's idea of the owner */
byte last[2 * NC];        /* state + exactly-once table: per client, last executed sequence */
byte held[2 * NC];        /* per client, the request held while paused / prepared */
bool lostf[2];            /* re-created empty: clients it does not know get LOST */
byte mph;                 /* the source's phase: 0 none, 1 OFFER sent, 2 COMMIT sent */
byte cep;                 /* the target's copy: its epoch */
bool started;             /* one migration per run */

byte cs[NC];              /* client: its current sequence (NREQ + 1: done) */
byte cdest[NC];           /* client: where it sends */
byte cdep[NC];            /* client: the epoch it knows */
bool ctold[NC];           /* client: got LOST */

byte crashes = CRASHES, dups = DUPS, losses = LOSSES;

/* ghosts: what the safety properties look at (left out of the state in a liveness check) */
#ifdef LIVENESS
#define GHOST hidden
#else
#define GHOST
#endif
GHOST byte exd;                 /* bit c * NREQ + s - 1: request (c, s) was executed */
GHOST byte lastE, lastN;        /* epoch and node of the latest execution */
GHOST byte maxEp;               /* highest epoch any node has bound or learned */
GHOST byte ownerCrashed;        /* a node crashed while it held the role (or had confirmed it) */
GHOST byte err;                 /* violations seen, one bit per property */
#define E_LOSS   1
#define E_DUP    2
#define E_ORDER  4
#define E_SERVER 8
#define E_EPOCH  16
#define E_LOST   32
#define FAIL(b) err = err | (b)

/* scratch: set and used within one atomic step, not part of the state */
hidden int m, stmp;
hidden byte si, sj, hc, hs, hv, hbit;

#define L(n, c) last[(n) * NC + (c)]
#define H(n, c) held[(n) * NC + (c)]
#if NC == 1
#define PACKL(n) L(n, 0)
#define PACKH(n) H(n, 0)
#else
#define PACKL(n) (L(n, 0) | (L(n, 1) << 2))
#define PACKH(n) (H(n, 0) | (H(n, 1) << 2))
#endif

#if NB == 3
#define ANY(P) (P(bag[0]) || P(bag[1]) || P(bag[2]))
#elif NB == 4
#define ANY(P) (P(bag[0]) || P(bag[1]) || P(bag[2]) || P(bag[3]))
#elif NB == 5
#define ANY(P) (P(bag[0]) || P(bag[1]) || P(bag[2]) || P(bag[3]) || P(bag[4]))
#endif
#define PROTO(x) ((TY(x) >= OFFER && TY(x) <= ABORT) || TY(x) == NOCOPY)
#define JOIN(x)  (TY(x) == HELLO || TY(x) == STATUS || TY(x) == BIND)
#define MINE(x)  ((x) != 0 && TY(x) <= REDIRECT && FA(x) == c)
/* A retransmission (a timer) fires when nothing of its exchange is in flight. In the liveness
 * check only when nothing at all is in flight and (clients) no node holds the request: weak
 * fairness is per process, not per message, so a node could otherwise take a peer's
 * retransmissions forever and never the message that lets it progress. */
#define IN_FLUX(n) (role[n] == R_DOWN || role[n] == R_JOINING || role[n] == R_PAUSED || role[n] == R_PREPARED || role[n] == R_PENDING)
#ifdef LIVENESS
/* ... and clients, whose timeouts are longer than the nodes', replay only when the nodes are
 * settled and nothing holds their request. */
#define RETX(P)   (bag[0] == 0)
#define REPLAY_OK (bag[0] == 0 && H(0, c) != cs[c] && H(1, c) != cs[c] && !IN_FLUX(0) && !IN_FLUX(1))
#else
#define RETX(P)   (!ANY(P))
#define REPLAY_OK (!ANY(MINE))
#endif

/* ------------------------------------------------------------------ network */
inline put(mm) {
    if
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

/* ------------------------------------------------------------------ service */
inline setep(n, v) {
    if
    :: v < ep[n] -> FAIL(E_EPOCH)      /* an epoch went backwards on a node */
    :: else -> skip
    fi;
    ep[n] = v;
    if :: v > pep[n] -> pep[n] = v :: else -> skip fi;
    if :: v > maxEp -> maxEp = v :: else -> skip fi
}

inline execute(c, s) {
    hbit = 1 << (c * NREQ + s - 1);
    if :: exd & hbit -> FAIL(E_DUP) :: else -> skip fi;
    if :: s > 1 && !(exd & (hbit >> 1)) -> FAIL(E_ORDER) :: else -> skip fi;
    if :: lastE > ep[me] || (lastE == ep[me] && lastN != me) -> FAIL(E_SERVER) :: else -> skip fi;
    if :: ep[me] < maxEp -> FAIL(E_EPOCH) :: else -> skip fi;
    exd = exd | hbit;
    lastE = ep[me];
    lastN = me;
    L(me, c) = s
}

/* The owner answers (c, s): from the table, by executing it, or with LOST. */
inline serve(c, s) {
    if
    :: lostf[me] && L(me, c) == 0 -> put(MSG(LOST, me, 2 + c, ep[me], c, s, 0))
    :: else ->
        if
        :: s > 0 && s == L(me, c) -> put(MSG(REPLY, me, 2 + c, ep[me], c, s, 0))
        :: s == L(me, c) + 1 -> execute(c, s); put(MSG(REPLY, me, 2 + c, ep[me], c, s, 0))
        :: s > L(me, c) + 1 -> FAIL(E_LOSS)     /* the client was answered for s - 1: this state lacks it */
        :: else -> skip                         /* an old duplicate: the client moved on */
        fi
    fi
}

/* A new owner serves the requests it holds first. */
inline serve_held() {
    hc = 0;
    do
    :: hc < NC ->
        if :: H(me, hc) != 0 -> serve(hc, H(me, hc)); H(me, hc) = 0 :: else -> skip fi;
        hc++
    :: else -> break
    od
}

inline clear_state(n) {
    hc = 0;
    do
    :: hc < NC -> L(n, hc) = 0; H(n, hc) = 0; hc++
    :: else -> break
    od;
    lostf[n] = 0
}

/* A service whose only copy is gone comes back empty, at a newer epoch, and says so. */
inline recreate(v) {
    if :: !ownerCrashed -> FAIL(E_LOST) :: else -> skip fi;
    clear_state(me);
    lostf[me] = 1;
    role[me] = R_SERVING;
    setep(me, v)
}

inline crash(n) {
#ifdef CURRENT_COMMIT
    if :: role[n] == R_SERVING || role[n] == R_PAUSED -> ownerCrashed = 1 :: else -> skip fi;
#else
    if :: role[n] == R_SERVING || role[n] == R_PAUSED || role[n] == R_PENDING -> ownerCrashed = 1 :: else -> skip fi;
#endif
    role[n] = R_DOWN;
    ep[n] = 0;
    own[n] = 0;
    clear_state(n);
    if :: n == SOURCE -> mph = 0 :: else -> cep = 0 fi
}

/* The source gives up the migration: it serves again, held requests first, at epoch + 2 (newer
 * than the epoch + 1 the target may have bound, so that a copy of the migration is recognisably
 * older than what the source served since), and tells the target. */
inline rollback() {
    mph = 0;
    role[me] = R_SERVING;
    hv = ep[me] + ROLLBACK_STEP;
    setep(me, hv);
    serve_held();
    put(MSG(ABORT, me, TARGET, ep[me], 0, 0, 0))
}

/* The source's commit point: from here the target has the role; what is held goes after it. */
inline become_stub_of_target(e) {
    mph = 0;
    role[me] = R_STUB;
    own[me] = TARGET;
    setep(me, e);
    hc = 0;
    do
    :: hc < NC ->
        if :: H(me, hc) != 0 -> put(MSG(REQ, me, TARGET, e, hc, H(me, hc) | 4, 0)) :: else -> skip fi;
        hc++
    :: else -> break
    od;
    clear_state(me)
}

/* ------------------------------------------------------------------ node */
inline on_req() {
    hc = FA(m);
    hs = FB(m) & 3;
    if
    :: role[me] == R_SERVING -> serve(hc, hs)
    :: role[me] == R_PAUSED ->
        if
        :: hs > 0 && hs == L(me, hc) -> put(MSG(REPLY, me, 2 + hc, ep[me], hc, hs, 0))
        :: hs == L(me, hc) + 1 -> H(me, hc) = hs
        :: hs > L(me, hc) + 1 && !lostf[me] -> FAIL(E_LOSS)
        :: else -> skip
        fi
    :: role[me] == R_PREPARED || role[me] == R_PENDING ->
        /* a copy's table answers what it holds (a reply never changes); the next is held */
        if
        :: hs > 0 && hs == L(me, hc) -> put(MSG(REPLY, me, 2 + hc, cep, hc, hs, 0))
        :: hs == L(me, hc) + 1 -> H(me, hc) = hs
        :: else -> skip
        fi
    :: role[me] == R_STUB && (FB(m) & 4) == 0 ->
        put(MSG(REQ, me, own[me], ep[me], hc, hs | 4, 0));
        put(MSG(REDIRECT, me, 2 + hc, ep[me], hc, own[me], 0))
    :: else -> skip     /* joining, or forwarded once already */
    fi
}

inline on_msg() {
    if
    :: role[me] == R_JOINING && TY(m) != STATUS ->
        /* a restarted node knows nothing yet: it answers a peer with HELLO, drops the rest */
        if :: SRC(m) < 2 && !ANY(JOIN) -> put(MSG(HELLO, me, SRC(m), 0, inc[me], 0, 0)) :: else -> skip fi
    :: else ->
    if
    :: TY(m) == REQ -> on_req()
    /* ---- target side */
    :: TY(m) == OFFER ->
        if
        :: role[me] == R_STUB && EP(m) > ep[me] ->
            role[me] = R_PREPARED;
            cep = EP(m);
            L(me, 0) = FA(m) & 3; H(me, 0) = FB(m) & 3;
#if NC > 1
            L(me, 1) = FA(m) >> 2; H(me, 1) = FB(m) >> 2;
#endif
            lostf[me] = FC(m);
            put(MSG(PREPARED, me, SRC(m), cep, 0, 0, 0))
        :: role[me] == R_PREPARED && EP(m) == cep -> put(MSG(PREPARED, me, SRC(m), cep, 0, 0, 0))
        :: else -> skip
        fi
    :: TY(m) == COMMIT ->
        if
        :: role[me] == R_PREPARED && EP(m) == cep ->
            setep(me, cep);
#ifdef CURRENT_COMMIT
            role[me] = R_SERVING;
            serve_held();
#else
            role[me] = R_PENDING;
#endif
            put(MSG(COMMITTED, me, SRC(m), cep, 0, 0, 0))
        :: (role[me] == R_PENDING && EP(m) == cep) || (role[me] == R_SERVING && EP(m) == ep[me]) ->
            put(MSG(COMMITTED, me, SRC(m), EP(m), 0, 0, 0))
        :: role[me] == R_STUB ->
            /* no copy for it (restarted since PREPARED): say so, the source need not wait */
            put(MSG(NOCOPY, me, SRC(m), EP(m), 0, 0, 0))
        :: else -> skip
        fi
    :: TY(m) == HANDOVER ->
        if
        :: (role[me] == R_PREPARED || role[me] == R_PENDING) && EP(m) == cep ->
            role[me] = R_SERVING;
            setep(me, cep);
            serve_held()
        :: else -> skip
        fi
    :: TY(m) == ABORT ->
        if
        :: (role[me] == R_PREPARED || role[me] == R_PENDING || role[me] == R_STUB) && EP(m) > ep[me] ->
            role[me] = R_STUB;
            own[me] = SRC(m);
            cep = 0;
            clear_state(me);
            setep(me, EP(m))
        :: else -> skip
        fi
    /* ---- source side */
    :: TY(m) == PREPARED ->
        if
        :: role[me] == R_PAUSED && mph == 1 && EP(m) == ep[me] + 1 ->
#ifdef CURRENT_COMMIT
            hv = EP(m);
            become_stub_of_target(hv);
            put(MSG(COMMIT, me, TARGET, hv, 0, 0, 0))
#else
            mph = 2;
            put(MSG(COMMIT, me, TARGET, EP(m), 0, 0, 0))
#endif
        :: role[me] == R_PAUSED && mph == 2 && EP(m) == ep[me] + 1 -> put(MSG(COMMIT, me, TARGET, EP(m), 0, 0, 0))
#ifdef CURRENT_COMMIT
        :: role[me] == R_STUB && own[me] == TARGET && EP(m) == ep[me] -> put(MSG(COMMIT, me, TARGET, EP(m), 0, 0, 0))
#else
        :: role[me] == R_STUB && own[me] == TARGET && EP(m) == ep[me] ->
            /* handed over by my restart (HANDOVER lost): the role is the target's */
            put(MSG(HANDOVER, me, TARGET, EP(m), 0, 0, 0))
#endif
        :: role[me] == R_SERVING && EP(m) <= ep[me] -> put(MSG(ABORT, me, TARGET, ep[me], 0, 0, 0))
        :: else -> skip
        fi
    :: TY(m) == NOCOPY ->
        if
        :: role[me] == R_PAUSED && EP(m) == ep[me] + 1 -> rollback()
        :: else -> skip
        fi
    :: TY(m) == COMMITTED ->
        if
        :: role[me] == R_PAUSED && mph == 2 && EP(m) == ep[me] + 1 ->
            hv = EP(m);
            become_stub_of_target(hv);
            put(MSG(HANDOVER, me, TARGET, hv, 0, 0, 0))
        :: role[me] == R_STUB && own[me] == TARGET && EP(m) == ep[me] ->
#ifndef CURRENT_COMMIT
            put(MSG(HANDOVER, me, TARGET, EP(m), 0, 0, 0))
#else
            skip
#endif
        :: role[me] == R_SERVING && EP(m) <= ep[me] -> put(MSG(ABORT, me, TARGET, ep[me], 0, 0, 0))
        :: else -> skip
        fi
    /* ---- restart */
    :: TY(m) == HELLO ->
        if
        :: role[me] == R_PAUSED ->
            /* the target restarted: its copy, and any confirmation still in flight from its
             * old incarnation, are void. Serve again now, newer than anything it bound. */
            rollback();
            put(MSG(STATUS, me, SRC(m), ep[me], K_OWNER, me, FA(m)))
        :: role[me] == R_SERVING -> put(MSG(STATUS, me, SRC(m), ep[me], K_OWNER, me, FA(m)))
        :: role[me] == R_STUB -> put(MSG(STATUS, me, SRC(m), ep[me], K_STUB, own[me], FA(m)))
        :: role[me] == R_PREPARED || role[me] == R_PENDING -> put(MSG(STATUS, me, SRC(m), cep, K_COPY, me, FA(m)))
        :: else -> skip
        fi
    :: TY(m) == STATUS ->
        if
        :: role[me] == R_JOINING && FC(m) == inc[me] ->
            /* (a STATUS answering an older incarnation's HELLO describes a past that is gone:
             * taking it, spin finds two nodes serving, or a node serving below a seen epoch) */
            hv = EP(m);
            if :: hv < ep[me] -> hv = ep[me] :: else -> skip fi;
            if
            :: FA(m) == K_OWNER || (FA(m) == K_STUB && FB(m) != me) ->
                role[me] = R_STUB;
                own[me] = FB(m);
                setep(me, hv)
            :: FA(m) == K_STUB && FB(m) == me ->
                /* it was mine and I lost it */
                recreate(hv + 1);
                put(MSG(BIND, me, SRC(m), ep[me], 0, 0, 0))
            :: FA(m) == K_COPY && ep[me] <= EP(m) ->
                /* I crashed in my migration before serving again: its copy is current */
                role[me] = R_STUB;
                own[me] = SRC(m);
                setep(me, EP(m));
                put(MSG(HANDOVER, me, SRC(m), EP(m), 0, 0, 0))
            :: FA(m) == K_COPY && ep[me] > EP(m) ->
                /* I had rolled back and served again: the copy is stale, and my state is gone */
                recreate(hv + 1);
                put(MSG(ABORT, me, SRC(m), ep[me], 0, 0, 0))
            fi
        :: else -> skip
        fi
    :: TY(m) == BIND ->
        if
        :: role[me] == R_STUB && EP(m) > ep[me] -> own[me] = SRC(m); setep(me, EP(m))
        :: else -> skip
        fi
    :: else -> skip
    fi
    fi
}

/* Every step is a d_step (one transition, no intermediate states). Each ends with "sj = 0" (a
 * scratch variable): spin refuses a d_step whose last statement is a loop, since the loop's
 * break would jump out of it. */

/* A node that is down takes nothing: what reaches it meanwhile is lost (Faults) or met by its
 * next incarnation, which must cope with anything an old session carried. */
#define DELIVER(i) :: d_step { bag[i] != 0 && DST(bag[i]) == me && role[me] != R_DOWN -> take(i); \
    printf("node %d (role %d, epoch %d) gets type %d from %d: epoch %d, a %d, b %d\n", me, role[me], ep[me], TY(m), SRC(m), EP(m), FA(m), FB(m)); \
    on_msg(); sj = 0 }

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
    /* the operator starts the one migration of the run */
    :: d_step { me == SOURCE && !started && role[me] == R_SERVING ->
        printf("node %d starts the migration to node %d (epoch %d)\n", me, TARGET, ep[me] + 1);
        started = 1;
        role[me] = R_PAUSED;
        mph = 1;
        /* the migration's epoch is reserved: persisted before it is offered, so that a restart
         * re-creates the service above it (else spin finds the re-created service and the
         * target's copy under one epoch, and a later restart hands over the wrong one) */
        pep[me] = ep[me] + 1;
        put(MSG(OFFER, me, TARGET, ep[me] + 1, PACKL(me), PACKH(me), lostf[me])); sj = 0 }
    /* timeouts: the target is suspected (rightly or not) before it confirmed */
    :: d_step { role[me] == R_PAUSED && mph > 0 -> printf("node %d: timeout, rolls back\n", me); rollback(); sj = 0 }
    /* retransmissions, when nothing of the exchange is in flight */
    :: d_step { role[me] == R_PAUSED && mph == 1 && RETX(PROTO) ->
        put(MSG(OFFER, me, TARGET, ep[me] + 1, PACKL(me), PACKH(me), lostf[me])); sj = 0 }
    :: d_step { role[me] == R_PAUSED && mph == 2 && RETX(PROTO) -> put(MSG(COMMIT, me, TARGET, ep[me] + 1, 0, 0, 0)); sj = 0 }
    :: d_step { role[me] == R_PREPARED && RETX(PROTO) -> put(MSG(PREPARED, me, SOURCE, cep, 0, 0, 0)); sj = 0 }
    :: d_step { role[me] == R_PENDING && RETX(PROTO) -> put(MSG(COMMITTED, me, SOURCE, cep, 0, 0, 0)); sj = 0 }
    :: d_step { role[me] == R_JOINING && RETX(JOIN) -> put(MSG(HELLO, me, 1 - me, 0, inc[me], 0, 0)); sj = 0 }
    /* restart: only the persisted epoch survived */
    :: d_step { role[me] == R_DOWN ->
        printf("node %d restarts (persisted epoch %d)\n", me, pep[me]);
        role[me] = R_JOINING;
        inc[me] = (inc[me] + 1) & 15;
        ep[me] = pep[me];
        put(MSG(HELLO, me, 1 - me, 0, inc[me], 0, 0)); sj = 0 }
    od
}

/* ------------------------------------------------------------------ client */
inline on_client_msg() {
    if
    :: TY(m) == REPLY && FB(m) == cs[c] -> cs[c]++
    :: TY(m) == LOST && FB(m) == cs[c] -> ctold[c] = 1
    :: TY(m) == REDIRECT && EP(m) > cdep[c] -> cdest[c] = FB(m); cdep[c] = EP(m)
    :: else -> skip
    fi
}

#define CDELIVER(i) :: d_step { bag[i] != 0 && DST(bag[i]) == 2 + c -> take(i); \
    printf("client %d (at seq %d) gets type %d from %d: epoch %d, b %d\n", c, cs[c], TY(m), SRC(m), EP(m), FB(m)); \
    on_client_msg(); sj = 0 }

proctype Client(byte c) {
end:
    do
    /* send, or replay the same request (same sequence) when nothing of it is in flight */
    :: d_step { cs[c] <= NREQ && !ctold[c] && REPLAY_OK -> printf("client %d sends request %d to node %d\n", c, cs[c], cdest[c]); put(MSG(REQ, 2 + c, cdest[c], cdep[c], c, cs[c], 0)); sj = 0 }
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
#define DROP(i) :: d_step { bag[i] != 0 && losses > 0 -> printf("network loses type %d to %d\n", TY(bag[i]), DST(bag[i])); if :: losses < 255 -> losses-- :: else -> skip fi; take(i); sj = 0 }
#define DUP(i)  :: d_step { bag[i] != 0 && dups > 0 -> printf("network duplicates type %d to %d\n", TY(bag[i]), DST(bag[i])); dups--; put(bag[i]); sj = 0 }

proctype Faults() {
end:
    do
    :: d_step { crashes > 0 && role[0] > R_JOINING && role[1] > R_JOINING -> printf("node 0 crashes (role %d)\n", role[0]); crashes--; crash(SOURCE); sj = 0 }
    :: d_step { crashes > 0 && role[0] > R_JOINING && role[1] > R_JOINING -> printf("node 1 crashes (role %d)\n", role[1]); crashes--; crash(TARGET); sj = 0 }
    DROP(0) DROP(1) DROP(2)
    DUP(0) DUP(1) DUP(2)
#if NB > 3
    DROP(3) DUP(3)
#endif
#if NB > 4
    DROP(4) DUP(4)
#endif
    od
}

init {
    atomic {
        role[SOURCE] = R_SERVING; ep[SOURCE] = 1; pep[SOURCE] = 1;
        role[TARGET] = R_STUB; own[TARGET] = SOURCE; ep[TARGET] = 1; pep[TARGET] = 1;
        maxEp = 1;
        si = 0;
        do
        :: si < NC -> cs[si] = 1; cdest[si] = SOURCE; cdep[si] = 1; si++
        :: else -> break
        od;
        run Node(SOURCE);
        run Node(TARGET);
        si = 0;
        do
        :: si < NC -> run Client(si); si++
        :: else -> break
        od;
        run Faults()
    }
}

/* ------------------------------------------------------------------ properties */
/* An acknowledged request is never lost: whoever serves holds every answered request's effect,
 * unless it was re-created and says LOST. */
#define KEPT(n, c) (!(role[n] == R_SERVING || role[n] == R_PAUSED) || lostf[n] || ctold[c] || L(n, c) + 1 >= cs[c])
#if NC == 1
#define ALL_KEPT (KEPT(0, 0) && KEPT(1, 0))
#define CLIENTS_DONE (cs[0] > NREQ || ctold[0])
#else
#define ALL_KEPT (KEPT(0, 0) && KEPT(1, 0) && KEPT(0, 1) && KEPT(1, 1))
#define CLIENTS_DONE ((cs[0] > NREQ || ctold[0]) && (cs[1] > NREQ || ctold[1]))
#endif

ltl no_loss      { [] (!(err & E_LOSS) && ALL_KEPT) }
ltl no_duplicate { [] !(err & E_DUP) }
ltl order        { [] !(err & E_ORDER) }
ltl one_server   { [] (!(err & E_SERVER) && !(role[0] == R_SERVING && role[1] == R_SERVING)) }
ltl epochs       { [] !(err & E_EPOCH) }
ltl lost_after_confirm { [] !(err & E_LOST) }
/* liveness (check with -a -f and bounded losses): a started migration ends, committed or
 * rolled back, with every node up and none holding a copy; every client gets its answers. */
ltl migration_ends { [] (started -> <> (!IN_FLUX(0) && !IN_FLUX(1))) }
ltl clients_answered { <> CLIENTS_DONE }
