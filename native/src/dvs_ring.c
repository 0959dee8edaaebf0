/*
 * The inbound ring of an endpoint: a bounded MPSC queue in shared memory (Vyukov's bounded queue,
 * one sequence per cell). Producers claim a position by CAS on the tail, write the cell, then
 * publish it by storing seq = pos + 1. The single consumer takes a cell when seq == pos + 1 and
 * frees it with seq = pos + capacity.
 *
 * Why this queue: a cell whose sequence says "full" is complete, so the consumer never reads a
 * half-written message, and producers never wait for each other except on the one CAS.
 *
 * Cells start zeroed: a cell stores its sequence minus its own index, so the state "cell i free
 * for position i" is all zero bytes. A fresh segment (ftruncate: zero pages) needs no
 * initialization, and a ring's pages are backed only once messages reach them: a large default
 * capacity costs memory only for the endpoints that fill their rings (before, every cell of every
 * slot was written at creation: 64 MiB per DC at 2048 cells). A reset frees only the cells
 * between head and tail, for the same reason.
 *
 * Wake-ups (Dekker style, no lost wake-up): the consumer reads `wake_seq`, clears `wake_pending`,
 * raises `sleeping`, re-checks the ring, then futex-waits on the value read. A producer publishes
 * with a full barrier and then reads `sleeping`; if set, the first producer to swap
 * `wake_pending` from 0 to 1 bumps wake_seq and wakes; the others return without a syscall: the
 * sleeper's value of wake_seq is stale already. One of the two always sees the other: a producer
 * that finds wake_pending set found it set after the sleeper cleared it, by a producer whose bump
 * of wake_seq follows the sleeper's read of it.
 *
 * A producer killed between its claim and its publication leaves a cell that is claimed but never
 * published, and the consumer, which takes cells in order, waits behind it forever. So a producer
 * stamps the cell it claimed with its pid, start time and the position (plain stores into the line
 * it writes anyway: no syscall, no atomic more per message), and the node host's reaper publishes a
 * cell whose stamp names a dead process as a skip cell (claim_pid DVS_CLAIM_UNBLOCKED), which the
 * consumer frees without returning it: dvs_ring_unblock. Only a dead claimer's cell is unblocked:
 * a live producer that is merely slow is never overtaken (aeron's unblock works on a timeout and
 * so may overtake one). A producer killed in the two instructions between its CAS and its stamp
 * leaves a cell whose stamp names an older lap: that one is not attributable and stays (a reset
 * of the ring, at the next bind, frees it).
 */
#include "dvs_internal.h"
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdbool.h>
#include <string.h>

static inline dvs_cell_t *dvs_ring_cells(dvs_ring_header_t *ring)
{
    return (dvs_cell_t *)((uint8_t *)ring + sizeof(dvs_ring_header_t));
}

/*
 * Cells a producer or consumer touches next are fetched ahead, for writing. A large ring does not
 * stay in cache (4096 cells are 512 KiB), and the seq_cst store that publishes a cell waits until
 * the cell's lines are owned: without the prefetch every offer paid a miss to memory inside that
 * fence (docs/benchmarks/notes-moved-from-code.md).
 */
#define DVS_PREFETCH_AHEAD 4

static inline void dvs_prefetch_cell(dvs_cell_t *cell)
{
    __builtin_prefetch(cell, 1, 3);
    __builtin_prefetch(&cell->message, 1, 3);
}

/* The sequence of a cell (stored relative to the cell's index, see above). */
static inline uint64_t dvs_cell_seq(dvs_cell_t *cell, uint64_t index)
{
    return DVS_LOAD_ACQUIRE(&cell->seq) + index;
}

/*
 * The claim stamp (see above). claim_pos last, with release: the reaper reads it first (acquire),
 * so a stamp naming this position carries this claimer's pid and start time.
 */
static inline void dvs_stamp_claim(dvs_cell_t *cell, uint64_t pos)
{
    DVS_STORE_RELAXED(&cell->claim_pid, dvs_self.pid);
    DVS_STORE_RELAXED(&cell->claim_start, dvs_self.start_time);
    DVS_STORE_RELEASE(&cell->claim_pos, pos);
}

/* A skip cell: published by the reaper in place of a dead producer (read after the acquire of seq). */
static inline int dvs_cell_skipped(const dvs_cell_t *cell)
{
    return __builtin_expect(cell->claim_pid == DVS_CLAIM_UNBLOCKED, 0);
}

static inline void dvs_wake_word(uint32_t *word)
{
    DVS_FETCH_ADD(word, 1u);
    syscall(SYS_futex, word, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
}

/* Called after the full barrier that follows a publication, with `sleepers` read non-zero. */
static inline void dvs_wake_once(uint32_t *word, uint32_t *pending)
{
    if (DVS_LOAD_SEQCST(pending) == 0 && DVS_EXCHANGE(pending, 1u) == 0) {
        dvs_wake_word(word);
    }
}

void dvs_doorbell_ring(dvs_slot_t *slot)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (DVS_LOAD_SEQCST(&slot->sleeping) != 0) {
        dvs_wake_once(&slot->wake_seq, &slot->wake_pending);
    }
}

/*
 * The owner waits for one source with its set-aside queue full (dvs_slot_t.hold): messages of
 * other sources are refused as if the ring were full, so the one it waits for can get in. A
 * request passes a hold for DVS_ANY (the owner waits for any request).
 */
static bool dvs_held_back(const dvs_slot_t *owner, const dvs_message_t *msg, int32_t meta)
{
    int32_t hold_for = DVS_LOAD_RELAXED((int32_t *)&owner->hold_for);
    return msg->m_source != hold_for && !(hold_for == DVS_ANY && (meta & DVS_KIND_MASK) == DVS_KIND_SENDREC);
}

int dvs_ring_offer(dvs_ring_header_t *ring, uint32_t capacity, const dvs_message_t *msg,
                   int32_t meta, dvs_slot_t *owner)
{
    return dvs_ring_offer_aux(ring, capacity, msg, meta, 0, owner);
}

/* Claims the cell at the tail (CAS) and stamps it; NULL when the ring is full. */
static inline dvs_cell_t *dvs_ring_claim(dvs_ring_header_t *ring, uint32_t capacity, uint64_t *pos_out)
{
    dvs_cell_t *cells = dvs_ring_cells(ring);
    const uint64_t mask = capacity - 1;
    uint64_t pos = DVS_LOAD_RELAXED(&ring->tail);
    for (;;) {
        dvs_cell_t *cell = &cells[pos & mask];
        uint64_t seq = dvs_cell_seq(cell, pos & mask);
        int64_t dif = (int64_t)seq - (int64_t)pos;
        if (dif == 0) {
            if (DVS_CAS(&ring->tail, &pos, pos + 1)) {
                dvs_stamp_claim(cell, pos);
                dvs_prefetch_cell(&cells[(pos + DVS_PREFETCH_AHEAD) & mask]);
                *pos_out = pos;
                return cell;
            }
            /* CAS failed: pos now holds the current tail; retry */
        } else if (dif < 0) {
            DVS_FETCH_ADD(&ring->full_count, 1u);
            return NULL;
        } else {
            pos = DVS_LOAD_RELAXED(&ring->tail);
        }
    }
}

int dvs_ring_offer_aux(dvs_ring_header_t *ring, uint32_t capacity, const dvs_message_t *msg,
                       int32_t meta, uint64_t aux, dvs_slot_t *owner)
{
    if (owner != NULL && DVS_LOAD_RELAXED(&owner->hold) != 0 && dvs_held_back(owner, msg, meta)) {
        return EDVSAGAIN;
    }
    uint64_t pos;
    dvs_cell_t *cell = dvs_ring_claim(ring, capacity, &pos);
    if (cell == NULL) {
        return EDVSAGAIN;
    }
    cell->message = *msg;
    cell->meta = meta;
    cell->aux = aux;
    /* seq_cst store: also the StoreLoad barrier before reading `sleeping` */
    DVS_STORE_SEQCST(&cell->seq, pos + 1 - (pos & (capacity - 1)));
    if (owner != NULL && DVS_LOAD_SEQCST(&owner->sleeping) != 0) {
        dvs_wake_once(&owner->wake_seq, &owner->wake_pending);
    }
    return DVS_OK;
}

int dvs_ring_test_claim(dvs_ring_header_t *ring, uint32_t capacity)
{
    uint64_t pos;
    return dvs_ring_claim(ring, capacity, &pos) != NULL ? DVS_OK : EDVSAGAIN;
}

/*
 * Offers in[0..n) in order with one claim of the tail and one fence: a node host delivering a
 * frame's messages to one endpoint paid a locked CAS and a seq_cst store per message (most of
 * the receiving proxy's time in the offer; docs/benchmarks/notes-moved-from-code.md).
 * Claims the longest run of free cells from the tail (up to n), so other producers still
 * interleave whole runs, never single messages inside one; returns how many went in.
 */
uint32_t dvs_ring_offer_many(dvs_ring_header_t *ring, uint32_t capacity, const dvs_polled_t *in, uint32_t n,
                             dvs_slot_t *owner)
{
    dvs_cell_t *cells = dvs_ring_cells(ring);
    const uint64_t mask = capacity - 1;
    if (n == 0) {
        return 0;
    }
    if (n > capacity) {
        n = capacity;
    }
    if (owner != NULL && DVS_LOAD_RELAXED(&owner->hold) != 0) {
        uint32_t unheld = 0;   /* the run stops at the first message the owner holds back */
        while (unheld < n && !dvs_held_back(owner, &in[unheld].message, in[unheld].meta)) {
            unheld++;
        }
        if (unheld == 0) {
            return 0;
        }
        n = unheld;
    }
    uint64_t pos = DVS_LOAD_RELAXED(&ring->tail);
    uint32_t run;
    for (;;) {
        /* A cell is free for position p when its sequence is p; the run ends at the first that is not. */
        run = 0;
        while (run < n && dvs_cell_seq(&cells[(pos + run) & mask], (pos + run) & mask) == pos + run) {
            run++;
        }
        if (run == 0) {
            uint64_t seq = dvs_cell_seq(&cells[pos & mask], pos & mask);
            if ((int64_t)seq - (int64_t)pos < 0) {
                DVS_FETCH_ADD(&ring->full_count, 1u);
                return 0;
            }
            pos = DVS_LOAD_RELAXED(&ring->tail);   /* another producer moved on: look again */
            continue;
        }
        if (DVS_CAS(&ring->tail, &pos, pos + run)) {
            break;
        }
        /* CAS failed: pos holds the current tail; retry */
    }
    /* every cell of the run is stamped before any is written: a producer killed halfway through
     * leaves only cells the reaper can attribute */
    for (uint32_t i = 0; i < run; i++) {
        dvs_stamp_claim(&cells[(pos + i) & mask], pos + i);
    }
    for (uint32_t i = 0; i < run; i++) {
        const uint64_t p = pos + i;
        dvs_cell_t *cell = &cells[p & mask];
        dvs_prefetch_cell(&cells[(p + DVS_PREFETCH_AHEAD) & mask]);
        cell->message = in[i].message;
        cell->meta = in[i].meta;
        cell->aux = in[i].aux;
        /* release: the cell's contents before its sequence (the consumer checks the sequence) */
        DVS_STORE_RELEASE(&cell->seq, p + 1 - (p & mask));
    }
    atomic_thread_fence(memory_order_seq_cst);   /* the published cells before the read of `sleeping` */
    if (owner != NULL && DVS_LOAD_SEQCST(&owner->sleeping) != 0) {
        dvs_wake_once(&owner->wake_seq, &owner->wake_pending);
    }
    return run;
}

int dvs_ring_poll(dvs_ring_header_t *ring, uint32_t capacity, dvs_message_t *out, int32_t *meta_out)
{
    uint64_t aux;
    return dvs_ring_poll_aux(ring, capacity, out, meta_out, &aux);
}

int dvs_ring_poll_aux(dvs_ring_header_t *ring, uint32_t capacity, dvs_message_t *out, int32_t *meta_out,
                      uint64_t *aux_out)
{
    dvs_cell_t *cells = dvs_ring_cells(ring);
    for (;;) {
        const uint64_t pos = DVS_LOAD_RELAXED(&ring->head);
        const uint64_t index = pos & (capacity - 1);
        dvs_cell_t *cell = &cells[index];
        if (dvs_cell_seq(cell, index) != pos + 1) {
            return EDVSAGAIN;
        }
        dvs_prefetch_cell(&cells[(pos + DVS_PREFETCH_AHEAD) & (capacity - 1)]);
        const int skipped = dvs_cell_skipped(cell);
        if (!skipped) {
            *out = cell->message;
            *meta_out = cell->meta;
            *aux_out = cell->aux;
        }
        DVS_STORE_RELEASE(&ring->head, pos + 1);
        DVS_STORE_SEQCST(&cell->seq, pos + capacity - index);
        if (DVS_LOAD_SEQCST(&ring->space_waiters) != 0) {
            dvs_wake_once(&ring->space_seq, &ring->space_pending);
        }
        if (!skipped) {
            return DVS_OK;
        }
    }
}

uint32_t dvs_ring_poll_many(dvs_ring_header_t *ring, uint32_t capacity, dvs_polled_t *out, uint32_t max)
{
    dvs_cell_t *cells = dvs_ring_cells(ring);
    const uint64_t mask = capacity - 1;
    const uint64_t first = DVS_LOAD_RELAXED(&ring->head);
    uint64_t pos = first;
    uint32_t n = 0;
    for (; n < max; pos++) {
        dvs_cell_t *cell = &cells[pos & mask];
        if (dvs_cell_seq(cell, pos & mask) != pos + 1) {
            break;
        }
        dvs_prefetch_cell(&cells[(pos + DVS_PREFETCH_AHEAD) & mask]);
        if (!dvs_cell_skipped(cell)) {
            out[n].message = cell->message;
            out[n].meta = cell->meta;
            out[n].aux = cell->aux;
            n++;
        }
        /* release: the copy above is done before a producer may reuse the cell */
        DVS_STORE_RELEASE(&cell->seq, pos + capacity - (pos & mask));
    }
    if (pos == first) {
        return 0;
    }
    DVS_STORE_RELEASE(&ring->head, pos);
    atomic_thread_fence(memory_order_seq_cst);   /* the freed cells before the read of space_waiters */
    if (DVS_LOAD_SEQCST(&ring->space_waiters) != 0) {
        uint64_t tail = DVS_LOAD_ACQUIRE(&ring->tail);
        if (tail - pos <= capacity / 2) {
            dvs_wake_once(&ring->space_seq, &ring->space_pending);
        }
    }
    return n;
}

/* 1 when the stamp of `cell` says it was claimed for `pos` by a process that is gone. */
static int dvs_claimer_died(dvs_cell_t *cell, uint64_t pos)
{
    if (DVS_LOAD_ACQUIRE(&cell->claim_pos) != pos) {
        return 0;   /* stamp of an older lap: its claimer died before stamping, or is about to stamp */
    }
    const int32_t pid = DVS_LOAD_RELAXED(&cell->claim_pid);
    const uint64_t start = DVS_LOAD_RELAXED(&cell->claim_start);
    if (pid <= 0 || pid == dvs_self.pid) {
        return 0;
    }
    return !dvs_pid_alive(pid, start);
}

uint32_t dvs_ring_unblock(dvs_ring_header_t *ring, uint32_t capacity, dvs_slot_t *owner)
{
    dvs_cell_t *cells = dvs_ring_cells(ring);
    const uint64_t mask = capacity - 1;
    const uint64_t head = DVS_LOAD_ACQUIRE(&ring->head);
    const uint64_t tail = DVS_LOAD_ACQUIRE(&ring->tail);
    if (tail - head - 1 >= capacity) {
        return 0;   /* empty (or a corrupt header: a reset's job) */
    }
    /* Only a consumer waiting at the head is blocked: a busy ring is not walked. */
    if (dvs_cell_seq(&cells[head & mask], head & mask) != head) {
        return 0;
    }
    uint32_t unblocked = 0;
    for (uint64_t pos = head; pos != tail; pos++) {
        dvs_cell_t *cell = &cells[pos & mask];
        const uint64_t index = pos & mask;
        const uint64_t seq = dvs_cell_seq(cell, index);
        if (seq == pos + 1) {
            continue;   /* published: waits behind a stuck cell, or the consumer takes it now */
        }
        if (seq != pos || !dvs_claimer_died(cell, pos)) {
            break;      /* taken and reused already, or a claim that is still being written */
        }
        /* Lock the cell (a value no producer or consumer waits for at this cell), mark it, then
         * publish it; the second CAS fails only if a reset freed the cell meanwhile. */
        uint64_t expected = pos - index;
        if (!DVS_CAS_STRONG(&cell->seq, &expected, pos - 1 - index)) {
            break;
        }
        DVS_STORE_RELAXED(&cell->claim_pid, (int32_t)DVS_CLAIM_UNBLOCKED);
        expected = pos - 1 - index;
        if (DVS_CAS_STRONG(&cell->seq, &expected, pos + 1 - index)) {
            unblocked++;
        }
    }
    if (unblocked != 0 && owner != NULL) {
        dvs_doorbell_ring(owner);
    }
    return unblocked;
}

/*
 * Empties the ring: every cell between head and tail (published or only claimed, by an owner or
 * producer that is gone) is freed for its next lap, and head moves to tail. Cells outside that
 * range are free already, so they are not touched (nor their pages backed). Called while no
 * producer writes the ring (a slot being bound or freed), as before.
 */
void dvs_ring_reset(dvs_ring_header_t *ring, uint32_t capacity)
{
    dvs_cell_t *cells = dvs_ring_cells(ring);
    const uint64_t mask = capacity - 1;
    const uint64_t head = DVS_LOAD_ACQUIRE(&ring->head);
    uint64_t tail = DVS_LOAD_ACQUIRE(&ring->tail);
    if (tail - head > capacity) {   /* a corrupt header: free every cell for the lap at tail */
        for (uint64_t i = 0; i < capacity; i++) {
            uint64_t pos = tail + ((i - tail) & mask);   /* the position >= tail that maps to cell i */
            atomic_store_explicit((_Atomic uint64_t *)&cells[i].seq, pos - i, memory_order_relaxed);
        }
    } else {
        for (uint64_t pos = head; pos < tail; pos++) {
            atomic_store_explicit((_Atomic uint64_t *)&cells[pos & mask].seq, pos + capacity - (pos & mask),
                                  memory_order_relaxed);
            cells[pos & mask].meta = 0;
        }
    }
    atomic_store_explicit((_Atomic uint64_t *)&ring->head, tail, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    /* producers asleep on a full ring of the previous owner must re-check */
    if (DVS_LOAD_RELAXED(&ring->space_waiters) != 0) {
        dvs_wake_word(&ring->space_seq);
    }
}

uint32_t dvs_ring_count(const dvs_ring_header_t *ring)
{
    uint64_t tail = DVS_LOAD_ACQUIRE((uint64_t *)&ring->tail);
    uint64_t head = DVS_LOAD_ACQUIRE((uint64_t *)&ring->head);
    return tail > head ? (uint32_t)(tail - head) : 0u;
}
