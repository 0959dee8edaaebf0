/* Inbound MPSC ring: FIFO order, full ring, wrap-around, many producers, waking a sleeping owner.
 * The rings under test are the ones a real node segment lays out. */
#include "dvs_test.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct ring_fixture {
    const char *name;
    void *base;
    uint64_t size;
    uint32_t capacity;
    uint64_t rings_offset;
    uint64_t ring_stride;
    uint64_t slots_offset;
    dvs_ring_header_t *ring; /* slot 0's inbound ring */
    dvs_slot_t *owner;       /* slot 0 */
} ring_fixture_t;

static ring_fixture_t open_fixture(uint32_t capacity)
{
    static dvs_dc_config_t dc;
    memset(&dc, 0, sizeof dc);
    dc.dcid = 0;
    dc.nr_procs = 8;
    dc.nr_tasks = 2;
    dc.nr_sysprocs = 4;
    dc.nodes = 1;
    strcpy(dc.name, "ringdc");
    dvs_node_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.node_id = 0;
    cfg.ring_capacity = capacity;
    cfg.dc_count = 1;
    cfg.dcs = &dc;
    strcpy(cfg.node_name, "ringnode");
    strcpy(cfg.cluster_name, "test");

    ring_fixture_t f;
    memset(&f, 0, sizeof f);
    f.name = dvs_test_segment_name("ring");
    f.capacity = capacity;
    CHECK_OK(dvs_segment_create(f.name, &cfg, &f.base, &f.size));
    const dvs_segment_header_t *h = f.base;
    const dvs_dc_t *dcs = (const dvs_dc_t *)((const uint8_t *)f.base + h->dcs_offset);
    const dvs_dc_t *d = NULL;
    for (int i = 0; i < h->max_dcs; i++)
        if (dcs[i].state != 0 && dcs[i].dcid == 0)
            d = &dcs[i];
    CHECK(d != NULL);
    f.rings_offset = d->rings_offset;
    f.ring_stride = d->ring_stride;
    f.slots_offset = d->slots_offset;
    f.ring = (dvs_ring_header_t *)((uint8_t *)f.base + f.rings_offset);
    f.owner = (dvs_slot_t *)((uint8_t *)f.base + f.slots_offset);
    return f;
}

static void close_fixture(ring_fixture_t *f)
{
    CHECK_OK(dvs_segment_close(f->base, f->size));
    CHECK_OK(dvs_segment_unlink(f->name));
}

static dvs_message_t make_message(int32_t source, int32_t type, uint64_t word)
{
    dvs_message_t m;
    memset(&m, 0, sizeof m);
    m.m_source = source;
    m.m_type = type;
    memcpy(m.m_payload, &word, sizeof word);
    for (int i = 8; i < 56; i++)
        m.m_payload[i] = dvs_test_pattern(word * 56 + i, (uint32_t)source);
    return m;
}

static void check_message(const dvs_message_t *m, int32_t source, int32_t type, uint64_t word)
{
    dvs_message_t want = make_message(source, type, word);
    CHECK_MSG(memcmp(m, &want, sizeof want) == 0,
              "message differs: got source %d type %d, want source %d type %d word %llu",
              m->m_source, m->m_type, source, type, (unsigned long long)word);
}

DVS_TEST(poll_of_an_empty_ring_returns_again)
{
    ring_fixture_t f = open_fixture(8);
    dvs_message_t m;
    int32_t meta = 12345;
    CHECK_EQ(EDVSAGAIN, dvs_ring_poll(f.ring, f.capacity, &m, &meta));
    CHECK_EQ(0, dvs_ring_count(f.ring));
    close_fixture(&f);
}

DVS_TEST(offer_then_poll_keeps_fifo_order_and_meta)
{
    ring_fixture_t f = open_fixture(16);
    for (int i = 0; i < 10; i++) {
        dvs_message_t m = make_message(100 + i, 7 * i, (uint64_t)i);
        int32_t meta = (i % 2 ? DVS_KIND_SENDREC : DVS_KIND_SEND) | (i << 8);
        CHECK_EQ(DVS_OK, dvs_ring_offer(f.ring, f.capacity, &m, meta, f.owner));
        CHECK_EQ(i + 1, dvs_ring_count(f.ring));
    }
    for (int i = 0; i < 10; i++) {
        dvs_message_t m;
        int32_t meta = 0;
        CHECK_EQ(DVS_OK, dvs_ring_poll(f.ring, f.capacity, &m, &meta));
        check_message(&m, 100 + i, 7 * i, (uint64_t)i);
        CHECK_EQ((i % 2 ? DVS_KIND_SENDREC : DVS_KIND_SEND) | (i << 8), meta);
        CHECK_EQ(9 - i, dvs_ring_count(f.ring));
    }
    dvs_message_t m;
    int32_t meta;
    CHECK_EQ(EDVSAGAIN, dvs_ring_poll(f.ring, f.capacity, &m, &meta));
    close_fixture(&f);
}

DVS_TEST(aux_words_travel_with_their_messages)
{
    ring_fixture_t f = open_fixture(8);
    for (int i = 0; i < 6; i++) {
        dvs_message_t m = make_message(1, i, (uint64_t)i);
        uint64_t aux = 0x8000000000000000ULL | ((uint64_t)i << 32) | (uint64_t)(1000 + i);
        CHECK_EQ(DVS_OK, dvs_ring_offer_aux(f.ring, f.capacity, &m, DVS_KIND_SEND, aux, f.owner));
    }
    /* a plain offer carries aux 0; a plain poll just drops the word */
    dvs_message_t plain = make_message(1, 6, 6);
    CHECK_EQ(DVS_OK, dvs_ring_offer(f.ring, f.capacity, &plain, DVS_KIND_SEND, f.owner));
    dvs_message_t m;
    int32_t meta;
    CHECK_EQ(DVS_OK, dvs_ring_poll(f.ring, f.capacity, &m, &meta));
    check_message(&m, 1, 0, 0);
    for (int i = 1; i < 6; i++) {
        uint64_t aux = 0;
        CHECK_EQ(DVS_OK, dvs_ring_poll_aux(f.ring, f.capacity, &m, &meta, &aux));
        check_message(&m, 1, i, (uint64_t)i);
        CHECK(aux == (0x8000000000000000ULL | ((uint64_t)i << 32) | (uint64_t)(1000 + i)));
    }
    uint64_t aux = 42;
    CHECK_EQ(DVS_OK, dvs_ring_poll_aux(f.ring, f.capacity, &m, &meta, &aux));
    check_message(&m, 1, 6, 6);
    CHECK(aux == 0);
    close_fixture(&f);
}

DVS_TEST(a_full_ring_refuses_with_again_and_keeps_its_messages)
{
    ring_fixture_t f = open_fixture(8);
    uint64_t full_before = f.ring->full_count;
    for (int i = 0; i < 8; i++) {
        dvs_message_t m = make_message(1, 2, (uint64_t)i);
        CHECK_EQ(DVS_OK, dvs_ring_offer(f.ring, f.capacity, &m, DVS_KIND_SEND, f.owner));
    }
    CHECK_EQ(8, dvs_ring_count(f.ring));
    dvs_message_t extra = make_message(1, 2, 999);
    CHECK_EQ(EDVSAGAIN, dvs_ring_offer(f.ring, f.capacity, &extra, DVS_KIND_SEND, f.owner));
    CHECK_EQ(EDVSAGAIN, dvs_ring_offer(f.ring, f.capacity, &extra, DVS_KIND_SEND, f.owner));
    CHECK_EQ(full_before + 2, f.ring->full_count);
    CHECK_EQ(8, dvs_ring_count(f.ring));

    /* one poll makes room for exactly one more */
    dvs_message_t m;
    int32_t meta;
    CHECK_EQ(DVS_OK, dvs_ring_poll(f.ring, f.capacity, &m, &meta));
    check_message(&m, 1, 2, 0);
    dvs_message_t next = make_message(1, 2, 8);
    CHECK_EQ(DVS_OK, dvs_ring_offer(f.ring, f.capacity, &next, DVS_KIND_SEND, f.owner));
    CHECK_EQ(EDVSAGAIN, dvs_ring_offer(f.ring, f.capacity, &extra, DVS_KIND_SEND, f.owner));
    for (int i = 1; i <= 8; i++) {
        CHECK_EQ(DVS_OK, dvs_ring_poll(f.ring, f.capacity, &m, &meta));
        check_message(&m, 1, 2, (uint64_t)i); /* 999 never got in */
    }
    CHECK_EQ(EDVSAGAIN, dvs_ring_poll(f.ring, f.capacity, &m, &meta));
    close_fixture(&f);
}

/* Batches of 1..capacity messages through a tiny ring: the indexes wrap hundreds of thousands of
 * times, every batch size meets every position of the ring. */
static void wrap_around(uint32_t capacity, uint64_t total)
{
    ring_fixture_t f = open_fixture(capacity);
    uint64_t sent = 0, received = 0, batch = 0;
    while (received < total) {
        uint64_t n = batch++ % capacity + 1;
        for (uint64_t i = 0; i < n && sent < total; i++) {
            dvs_message_t m = make_message(5, 6, sent);
            CHECK_EQ(DVS_OK, dvs_ring_offer(f.ring, capacity, &m, (int32_t)(sent & 0x7fffff) << 8,
                                            f.owner));
            sent++;
        }
        if (sent - received == capacity) {
            dvs_message_t m = make_message(5, 6, 0);
            CHECK_EQ(EDVSAGAIN, dvs_ring_offer(f.ring, capacity, &m, 0, f.owner));
        }
        while (received < sent) {
            dvs_message_t m;
            int32_t meta;
            CHECK_EQ(DVS_OK, dvs_ring_poll(f.ring, capacity, &m, &meta));
            CHECK_EQ((int32_t)(received & 0x7fffff) << 8, meta);
            uint64_t word;
            memcpy(&word, m.m_payload, sizeof word);
            CHECK_EQ(received, word);
            received++;
        }
        dvs_message_t m;
        int32_t meta;
        CHECK_EQ(EDVSAGAIN, dvs_ring_poll(f.ring, capacity, &m, &meta));
    }
    CHECK_EQ(0, dvs_ring_count(f.ring));
    close_fixture(&f);
}

DVS_TEST(wraps_around_many_times)
{
    wrap_around(2, 200000);
    wrap_around(4, 400000);
    wrap_around(64, 400000);
}

/* Fills the ring with messages tagged `tag` (words first, first + 1, ...), checks that one more is
 * refused, then takes them all back, in order: the ring works as new. */
static void fill_then_drain(ring_fixture_t *f, int32_t tag, uint64_t first)
{
    dvs_message_t m;
    int32_t meta;
    for (uint32_t i = 0; i < f->capacity; i++) {
        m = make_message(tag, tag, first + i);
        CHECK_EQ(DVS_OK, dvs_ring_offer(f->ring, f->capacity, &m, 0, f->owner));
    }
    CHECK_EQ(EDVSAGAIN, dvs_ring_offer(f->ring, f->capacity, &m, 0, f->owner));
    for (uint32_t i = 0; i < f->capacity; i++) {
        CHECK_EQ(DVS_OK, dvs_ring_poll(f->ring, f->capacity, &m, &meta));
        check_message(&m, tag, tag, first + i);
    }
}

DVS_TEST(reset_empties_a_ring_for_a_new_owner)
{
    ring_fixture_t f = open_fixture(8);
    for (int i = 0; i < 13; i++) {
        dvs_message_t m = make_message(1, 1, (uint64_t)i);
        CHECK_EQ(DVS_OK, dvs_ring_offer(f.ring, f.capacity, &m, 0, f.owner));
        if (i % 2 == 0) {
            int32_t meta;
            CHECK_EQ(DVS_OK, dvs_ring_poll(f.ring, f.capacity, &m, &meta));
        }
    }
    CHECK(dvs_ring_count(f.ring) > 0);
    dvs_ring_reset(f.ring, f.capacity);
    CHECK_EQ(0, dvs_ring_count(f.ring));
    dvs_message_t m;
    int32_t meta;
    CHECK_EQ(EDVSAGAIN, dvs_ring_poll(f.ring, f.capacity, &m, &meta));
    fill_then_drain(&f, 2, 0);
    close_fixture(&f);
}

/* Resident pages of [start, start + bytes) (mincore: a tmpfs hole is not resident). */
static size_t resident_pages(void *start, size_t bytes)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uint8_t *first = (uint8_t *)((uintptr_t)start & ~(uintptr_t)(page - 1));
    size_t pages = ((uint8_t *)start + bytes - first + page - 1) / page;
    unsigned char *vec = calloc(pages, 1);
    CHECK(vec != NULL);
    CHECK_EQ(0, mincore(first, pages * page, vec));
    size_t resident = 0;
    for (size_t i = 0; i < pages; i++)
        resident += vec[i] & 1u;
    free(vec);
    return resident;
}

DVS_TEST(a_new_segment_backs_no_ring_page_until_messages_reach_it)
{
    /* 4096 cells of 128 bytes: 128 pages per ring. Creating the segment writes no cell. */
    ring_fixture_t f = open_fixture(4096);
    const size_t ring_bytes = (size_t)f.ring_stride;
    dvs_ring_header_t *second = (dvs_ring_header_t *)((uint8_t *)f.ring + f.ring_stride);
    CHECK_EQ(0, (long long)resident_pages((uint8_t *)f.ring + 4096, ring_bytes - 4096));
    /* 40 messages (5 KiB of cells) back two pages of slot 0's ring, none of slot 1's. */
    dvs_message_t m;
    int32_t meta;
    for (int i = 0; i < 40; i++) {
        m = make_message(1, 1, (uint64_t)i);
        CHECK_EQ(DVS_OK, dvs_ring_offer(f.ring, f.capacity, &m, 0, f.owner));
    }
    CHECK(resident_pages((uint8_t *)f.ring + 4096, ring_bytes - 4096) <= 2);
    CHECK_EQ(0, (long long)resident_pages((uint8_t *)second + 4096, ring_bytes - 4096));
    for (int i = 0; i < 40; i++) {
        CHECK_EQ(DVS_OK, dvs_ring_poll(f.ring, f.capacity, &m, &meta));
        check_message(&m, 1, 1, (uint64_t)i);
    }
    close_fixture(&f);
}

DVS_TEST(reset_frees_a_cell_claimed_by_a_producer_that_died_before_publishing)
{
    ring_fixture_t f = open_fixture(8);
    dvs_message_t m = make_message(1, 1, 1);
    int32_t meta;
    CHECK_EQ(DVS_OK, dvs_ring_offer(f.ring, f.capacity, &m, 0, f.owner));
    /* a producer claims position 1 (the CAS on tail) and dies before writing the cell */
    __atomic_add_fetch(&f.ring->tail, 1, __ATOMIC_SEQ_CST);
    CHECK_EQ(DVS_OK, dvs_ring_poll(f.ring, f.capacity, &m, &meta));
    CHECK_EQ(EDVSAGAIN, dvs_ring_poll(f.ring, f.capacity, &m, &meta));   /* stuck behind the claim */
    dvs_ring_reset(f.ring, f.capacity);
    CHECK_EQ(0, dvs_ring_count(f.ring));
    for (int lap = 0; lap < 3; lap++)
        fill_then_drain(&f, 2, (uint64_t)lap * 8);
    close_fixture(&f);
}

/* A child process maps the segment, claims `claims` cells of slot 0's ring as an offer does and is
 * killed (SIGKILL) before it publishes them; returns once it is dead (reaped). */
static void claim_then_get_killed(ring_fixture_t *f, int claims)
{
    int ready[2];
    CHECK_OK(pipe(ready));
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        ring_fixture_t mine = *f;
        if (dvs_segment_open(f->name, &mine.base, &mine.size) != 0)
            _exit(10);
        mine.ring = (dvs_ring_header_t *)((uint8_t *)mine.base + f->rings_offset);
        for (int i = 0; i < claims; i++)
            if (dvs_ring_test_claim(mine.ring, mine.capacity) != DVS_OK)
                _exit(11);
        char c = 'c';
        if (write(ready[1], &c, 1) != 1)
            _exit(12);
        for (;;)
            pause();   /* until killed, claims unpublished */
    }
    close(ready[1]);
    char c;
    CHECK_EQ(1, read(ready[0], &c, 1));
    close(ready[0]);
    CHECK_OK(kill(child, SIGKILL));
    int status;
    CHECK_EQ(child, waitpid(child, &status, 0));
    CHECK(WIFSIGNALED(status));
}

DVS_TEST(unblock_skips_cells_claimed_by_a_producer_killed_before_publishing)
{
    ring_fixture_t f = open_fixture(8);
    dvs_message_t m = make_message(1, 1, 0);
    int32_t meta;
    CHECK_EQ(DVS_OK, dvs_ring_offer(f.ring, f.capacity, &m, 10, f.owner));
    claim_then_get_killed(&f, 2);
    for (uint64_t i = 1; i <= 3; i++) {
        m = make_message(1, 1, i);
        CHECK_EQ(DVS_OK, dvs_ring_offer(f.ring, f.capacity, &m, (int32_t)(10 + i), f.owner));
    }
    CHECK_EQ(DVS_OK, dvs_ring_poll(f.ring, f.capacity, &m, &meta));
    check_message(&m, 1, 1, 0);
    CHECK_EQ(EDVSAGAIN, dvs_ring_poll(f.ring, f.capacity, &m, &meta));   /* stuck behind the dead claims */
    CHECK_EQ(2, dvs_ring_unblock(f.ring, f.capacity, f.owner));
    CHECK_EQ(0, dvs_ring_unblock(f.ring, f.capacity, f.owner));          /* nothing left to unblock */
    for (uint64_t i = 1; i <= 3; i++) {
        CHECK_EQ(DVS_OK, dvs_ring_poll(f.ring, f.capacity, &m, &meta));
        check_message(&m, 1, 1, i);
        CHECK_EQ(10 + (int64_t)i, meta);
    }
    CHECK_EQ(EDVSAGAIN, dvs_ring_poll(f.ring, f.capacity, &m, &meta));
    CHECK_EQ(0, dvs_ring_count(f.ring));
    for (int lap = 0; lap < 3; lap++)   /* the skipped cells serve the next laps as any other */
        fill_then_drain(&f, 2, (uint64_t)lap * 8);
    close_fixture(&f);
}

DVS_TEST(poll_many_drops_unblocked_cells_and_returns_the_rest_in_order)
{
    ring_fixture_t f = open_fixture(16);
    dvs_message_t m;
    claim_then_get_killed(&f, 1);
    for (uint64_t i = 0; i < 4; i++) {
        m = make_message(2, 5, i);
        CHECK_EQ(DVS_OK, dvs_ring_offer_aux(f.ring, f.capacity, &m, 1, 100 + i, f.owner));
    }
    dvs_polled_t out[16];
    CHECK_EQ(0, dvs_ring_poll_many(f.ring, f.capacity, out, 16));
    CHECK_EQ(1, dvs_ring_unblock(f.ring, f.capacity, f.owner));
    CHECK_EQ(4, dvs_ring_poll_many(f.ring, f.capacity, out, 16));
    for (uint64_t i = 0; i < 4; i++) {
        check_message(&out[i].message, 2, 5, i);
        CHECK_EQ(100 + (int64_t)i, (int64_t)out[i].aux);
    }
    CHECK_EQ(0, dvs_ring_count(f.ring));
    close_fixture(&f);
}

DVS_TEST(unblock_leaves_a_cell_whose_producer_lives)
{
    ring_fixture_t f = open_fixture(8);
    dvs_message_t m = make_message(1, 1, 0);
    int32_t meta;
    CHECK_EQ(DVS_OK, dvs_ring_test_claim(f.ring, f.capacity));   /* this process: alive */
    CHECK_EQ(DVS_OK, dvs_ring_offer(f.ring, f.capacity, &m, 0, f.owner));
    CHECK_EQ(0, dvs_ring_unblock(f.ring, f.capacity, f.owner));
    CHECK_EQ(EDVSAGAIN, dvs_ring_poll(f.ring, f.capacity, &m, &meta));
    CHECK_EQ(2, dvs_ring_count(f.ring));
    close_fixture(&f);
}

DVS_TEST(unblock_of_a_flowing_ring_changes_nothing)
{
    ring_fixture_t f = open_fixture(8);
    dvs_message_t m;
    int32_t meta;
    CHECK_EQ(0, dvs_ring_unblock(f.ring, f.capacity, f.owner));   /* empty */
    for (uint64_t i = 0; i < 3; i++) {
        m = make_message(1, 1, i);
        CHECK_EQ(DVS_OK, dvs_ring_offer(f.ring, f.capacity, &m, 0, f.owner));
    }
    CHECK_EQ(0, dvs_ring_unblock(f.ring, f.capacity, f.owner));   /* all published */
    for (uint64_t i = 0; i < 3; i++) {
        CHECK_EQ(DVS_OK, dvs_ring_poll(f.ring, f.capacity, &m, &meta));
        check_message(&m, 1, 1, i);
    }
    close_fixture(&f);
}

DVS_TEST(reset_repairs_a_ring_whose_header_was_overwritten)
{
    ring_fixture_t f = open_fixture(8);
    dvs_message_t m = make_message(1, 1, 1);
    for (int i = 0; i < 5; i++)
        CHECK_EQ(DVS_OK, dvs_ring_offer(f.ring, f.capacity, &m, 0, f.owner));
    f.ring->head = 1000;   /* head past tail: garbage, e.g. a stray write */
    dvs_ring_reset(f.ring, f.capacity);
    CHECK_EQ(0, dvs_ring_count(f.ring));
    fill_then_drain(&f, 3, 0);
    close_fixture(&f);
}

/* ------------------------------------------------------------ many producers */

#define PRODUCERS 4
#define PER_PRODUCER 100000

typedef struct producer_arg {
    ring_fixture_t *f;
    int id;
} producer_arg_t;

static void *producer(void *p)
{
    producer_arg_t *a = p;
    for (uint64_t i = 0; i < PER_PRODUCER; i++) {
        dvs_message_t m = make_message(a->id, 77, i);
        uint64_t aux = ((uint64_t)a->id << 32) | i; /* the routing word travels with the message */
        while (dvs_ring_offer_aux(a->f->ring, a->f->capacity, &m, a->id, aux, a->f->owner) ==
               EDVSAGAIN)
            sched_yield();
    }
    return NULL;
}

/* The consumer side shared by the thread and the process variants: every message once, each
 * producer's messages in the order it sent them. */
static void consume_all(ring_fixture_t *f, int producers)
{
    uint64_t next[PRODUCERS] = {0};
    uint64_t total = (uint64_t)producers * PER_PRODUCER;
    for (uint64_t got = 0; got < total;) {
        dvs_message_t m;
        int32_t meta;
        uint64_t aux;
        int rc = dvs_ring_poll_aux(f->ring, f->capacity, &m, &meta, &aux);
        if (rc == EDVSAGAIN) {
            sched_yield();
            continue;
        }
        CHECK_EQ(DVS_OK, rc);
        CHECK_MSG(m.m_source >= 0 && m.m_source < producers, "source %d", m.m_source);
        CHECK_EQ(m.m_source, meta);
        uint64_t word;
        memcpy(&word, m.m_payload, sizeof word);
        CHECK_MSG(word == next[m.m_source],
                  "producer %d: got message %llu, expected %llu (lost, duplicated or reordered)",
                  m.m_source, (unsigned long long)word, (unsigned long long)next[m.m_source]);
        check_message(&m, m.m_source, 77, word); /* no torn payload */
        CHECK_MSG(aux == (((uint64_t)m.m_source << 32) | word), "aux %#llx does not match the message",
                  (unsigned long long)aux);
        next[m.m_source]++;
        got++;
    }
    for (int p = 0; p < producers; p++)
        CHECK_EQ(PER_PRODUCER, next[p]);
    dvs_message_t m;
    int32_t meta;
    CHECK_EQ(EDVSAGAIN, dvs_ring_poll(f->ring, f->capacity, &m, &meta));
}

/* PRODUCERS threads running `body` into a 64-cell ring while this thread consumes everything. */
static void run_producer_threads(void *(*body)(void *))
{
    ring_fixture_t f = open_fixture(64);
    pthread_t threads[PRODUCERS];
    producer_arg_t args[PRODUCERS];
    for (int p = 0; p < PRODUCERS; p++) {
        args[p].f = &f;
        args[p].id = p;
        CHECK_EQ(0, pthread_create(&threads[p], NULL, body, &args[p]));
    }
    consume_all(&f, PRODUCERS);
    for (int p = 0; p < PRODUCERS; p++)
        CHECK_EQ(0, pthread_join(threads[p], NULL));
    close_fixture(&f);
}

DVS_TEST(many_producer_threads_each_message_once_in_order)
{
    run_producer_threads(producer);
}

/* Producers 0 and 2 offer single messages, 1 and 3 runs of up to 7 (dvs_ring_offer_many): runs and
 * single offers interleave, and every message still arrives once, in its producer's order. */
static void *mixed_producer(void *p)
{
    producer_arg_t *a = p;
    if (a->id % 2 == 0)
        return producer(p);
    dvs_polled_t run[7];
    for (uint64_t i = 0; i < PER_PRODUCER;) {
        uint32_t n = (uint32_t)(1 + i % 7);
        if (i + n > PER_PRODUCER)
            n = (uint32_t)(PER_PRODUCER - i);
        for (uint32_t k = 0; k < n; k++) {
            run[k].message = make_message(a->id, 77, i + k);
            run[k].meta = a->id;
            run[k].aux = ((uint64_t)a->id << 32) | (i + k);
        }
        uint32_t placed = dvs_ring_offer_many(a->f->ring, a->f->capacity, run, n, a->f->owner);
        if (placed == 0)
            sched_yield();
        i += placed;   /* the rest is offered again, first */
    }
    return NULL;
}

DVS_TEST(runs_and_single_offers_from_many_threads_each_message_once_in_order)
{
    run_producer_threads(mixed_producer);
}

DVS_TEST(offer_many_fills_what_is_free_and_reports_a_full_ring)
{
    ring_fixture_t f = open_fixture(8);
    dvs_polled_t in[10];
    for (int i = 0; i < 10; i++) {
        in[i].message = make_message(5, 5, (uint64_t)i);
        in[i].meta = 100 + i;
        in[i].aux = 1000u + (uint64_t)i;
    }
    CHECK_EQ(3, dvs_ring_offer_many(f.ring, f.capacity, in, 3, f.owner));
    CHECK_EQ(5, dvs_ring_offer_many(f.ring, f.capacity, in + 3, 7, f.owner));   /* only 5 cells left */
    uint64_t full_before = f.ring->full_count;
    CHECK_EQ(0, dvs_ring_offer_many(f.ring, f.capacity, in + 8, 2, f.owner));
    CHECK_EQ((long long)(full_before + 1), (long long)f.ring->full_count);
    CHECK_EQ(0, dvs_ring_offer_many(f.ring, f.capacity, in, 0, f.owner));
    dvs_message_t m;
    int32_t meta;
    uint64_t aux;
    for (int i = 0; i < 8; i++) {
        CHECK_EQ(DVS_OK, dvs_ring_poll_aux(f.ring, f.capacity, &m, &meta, &aux));
        check_message(&m, 5, 5, (uint64_t)i);
        CHECK_EQ(100 + i, meta);
        CHECK_EQ(1000 + i, (long long)aux);
    }
    CHECK_EQ(EDVSAGAIN, dvs_ring_poll(f.ring, f.capacity, &m, &meta));
    /* after a wrap the free run continues across the end of the cell array */
    CHECK_EQ(2, dvs_ring_offer_many(f.ring, f.capacity, in + 8, 2, f.owner));
    for (int i = 8; i < 10; i++) {
        CHECK_EQ(DVS_OK, dvs_ring_poll_aux(f.ring, f.capacity, &m, &meta, &aux));
        check_message(&m, 5, 5, (uint64_t)i);
    }
    close_fixture(&f);
}

/* Producers in other processes, each with its own mapping of the segment (at another address). */
DVS_TEST(producer_processes_each_message_once_in_order)
{
    ring_fixture_t f = open_fixture(32);
    pid_t children[2];
    for (int p = 0; p < 2; p++) {
        children[p] = fork();
        CHECK(children[p] >= 0);
        if (children[p] == 0) {
            ring_fixture_t mine = f;
            if (dvs_segment_open(f.name, &mine.base, &mine.size) != 0)
                _exit(10);
            mine.ring = (dvs_ring_header_t *)((uint8_t *)mine.base + f.rings_offset);
            mine.owner = (dvs_slot_t *)((uint8_t *)mine.base + f.slots_offset);
            producer_arg_t a = {&mine, p};
            producer(&a);
            _exit(0);
        }
    }
    consume_all(&f, 2);
    for (int p = 0; p < 2; p++)
        CHECK_EQ(0, dvs_test_join_child(children[p]));
    close_fixture(&f);
}

/* ------------------------------------------------------------ sleeping owner / producer */

typedef struct sleeper {
    ring_fixture_t *f;
    volatile int tid;
    int rc;
} sleeper_t;

/* The owner's side of the doorbell: announce sleeping, re-check the ring, then wait. */
static void *sleeping_owner(void *p)
{
    sleeper_t *s = p;
    dvs_slot_t *slot = s->f->owner;
    uint32_t seq = __atomic_load_n(&slot->wake_seq, __ATOMIC_ACQUIRE);
    __atomic_fetch_add(&slot->sleeping, 1, __ATOMIC_SEQ_CST);
    s->rc = 1;
    if (dvs_ring_count(s->f->ring) == 0) {
        __atomic_store_n(&s->tid, (int)syscall(SYS_gettid), __ATOMIC_RELEASE);
        s->rc = dvs_futex_wait(&slot->wake_seq, seq, 20000);
    }
    __atomic_fetch_sub(&slot->sleeping, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static int wait_for_tid(sleeper_t *s)
{
    int tid;
    while ((tid = __atomic_load_n(&s->tid, __ATOMIC_ACQUIRE)) == 0)
        sched_yield();
    return tid;
}

DVS_TEST(offer_wakes_a_sleeping_owner)
{
    ring_fixture_t f = open_fixture(8);
    sleeper_t s = {&f, 0, 99};
    pthread_t t;
    CHECK_EQ(0, pthread_create(&t, NULL, sleeping_owner, &s));
    dvs_test_wait_until_blocked(wait_for_tid(&s));
    dvs_message_t m = make_message(1, 1, 1);
    CHECK_EQ(DVS_OK, dvs_ring_offer(f.ring, f.capacity, &m, DVS_KIND_SEND, f.owner));
    CHECK_EQ(0, pthread_join(t, NULL));
    CHECK_MSG(s.rc == 0, "the owner was not woken by the offer (futex wait returned %d)", s.rc);
    close_fixture(&f);
}

DVS_TEST(doorbell_wakes_a_sleeping_owner)
{
    ring_fixture_t f = open_fixture(8);
    sleeper_t s = {&f, 0, 99};
    pthread_t t;
    CHECK_EQ(0, pthread_create(&t, NULL, sleeping_owner, &s));
    dvs_test_wait_until_blocked(wait_for_tid(&s));
    dvs_doorbell_ring(f.owner);
    CHECK_EQ(0, pthread_join(t, NULL));
    CHECK_MSG(s.rc == 0, "the owner was not woken by the doorbell (futex wait returned %d)", s.rc);
    close_fixture(&f);
}

/* A producer facing a full ring: announce waiting for space, retry, then wait on space_seq. */
static void *waiting_producer(void *p)
{
    sleeper_t *s = p;
    dvs_ring_header_t *ring = s->f->ring;
    dvs_message_t m = make_message(3, 3, 3);
    uint32_t seq = __atomic_load_n(&ring->space_seq, __ATOMIC_ACQUIRE);
    __atomic_fetch_add(&ring->space_waiters, 1, __ATOMIC_SEQ_CST);
    s->rc = 1;
    if (dvs_ring_offer(ring, s->f->capacity, &m, 0, s->f->owner) == EDVSAGAIN) {
        __atomic_store_n(&s->tid, (int)syscall(SYS_gettid), __ATOMIC_RELEASE);
        s->rc = dvs_futex_wait(&ring->space_seq, seq, 20000);
    }
    __atomic_fetch_sub(&ring->space_waiters, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

DVS_TEST(poll_wakes_a_producer_waiting_for_space)
{
    ring_fixture_t f = open_fixture(4);
    for (int i = 0; i < 4; i++) {
        dvs_message_t m = make_message(1, 1, (uint64_t)i);
        CHECK_EQ(DVS_OK, dvs_ring_offer(f.ring, f.capacity, &m, 0, f.owner));
    }
    sleeper_t s = {&f, 0, 99};
    pthread_t t;
    CHECK_EQ(0, pthread_create(&t, NULL, waiting_producer, &s));
    dvs_test_wait_until_blocked(wait_for_tid(&s));
    /* draining the full ring must wake the producer */
    for (int i = 0; i < 4; i++) {
        dvs_message_t m;
        int32_t meta;
        CHECK_EQ(DVS_OK, dvs_ring_poll(f.ring, f.capacity, &m, &meta));
    }
    CHECK_EQ(0, pthread_join(t, NULL));
    CHECK_MSG(s.rc == 0, "the producer was not woken when the ring drained (futex wait returned %d)",
              s.rc);
    close_fixture(&f);
}

/* ------------------------------------------------------------ batches, one wake per sleep */

DVS_TEST(poll_many_takes_messages_in_order_with_meta_and_aux)
{
    ring_fixture_t f = open_fixture(8);
    for (int i = 0; i < 6; i++) {
        dvs_message_t m = make_message(10 + i, i, (uint64_t)i);
        CHECK_EQ(DVS_OK, dvs_ring_offer_aux(f.ring, f.capacity, &m, 100 + i, 1000u + (uint64_t)i, f.owner));
    }
    dvs_polled_t out[8];
    CHECK_EQ(4u, dvs_ring_poll_many(f.ring, f.capacity, out, 4));
    CHECK_EQ(2u, dvs_ring_poll_many(f.ring, f.capacity, out + 4, 8));
    CHECK_EQ(0u, dvs_ring_poll_many(f.ring, f.capacity, out, 8));
    for (int i = 0; i < 6; i++) {
        dvs_message_t expected = make_message(10 + i, i, (uint64_t)i);
        CHECK(memcmp(&out[i].message, &expected, sizeof expected) == 0);
        CHECK_EQ(100 + i, out[i].meta);
        CHECK_EQ(1000u + (uint64_t)i, out[i].aux);
    }
    /* the cells are free again: the ring takes a full capacity once more */
    for (int i = 0; i < 8; i++) {
        dvs_message_t m = make_message(1, 1, (uint64_t)i);
        CHECK_EQ(DVS_OK, dvs_ring_offer(f.ring, f.capacity, &m, 0, f.owner));
    }
    CHECK_EQ(8u, dvs_ring_count(f.ring));
    close_fixture(&f);
}

/* A producer that announced it waits for space (space_waiters) is woken once the ring is half
 * empty, not per freed cell, and once per sleep: the counts of space_seq bumps tell. */
DVS_TEST(poll_many_wakes_waiting_producers_at_half_empty_and_once_per_sleep)
{
    ring_fixture_t f = open_fixture(8);
    for (int i = 0; i < 8; i++) {
        dvs_message_t m = make_message(1, 1, (uint64_t)i);
        CHECK_EQ(DVS_OK, dvs_ring_offer(f.ring, f.capacity, &m, 0, f.owner));
    }
    __atomic_store_n(&f.ring->space_pending, 0, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&f.ring->space_waiters, 1, __ATOMIC_SEQ_CST);
    uint32_t seq = __atomic_load_n(&f.ring->space_seq, __ATOMIC_SEQ_CST);
    dvs_polled_t out[8];
    CHECK_EQ(3u, dvs_ring_poll_many(f.ring, f.capacity, out, 3));   /* 5 of 8 left: more than half */
    CHECK_EQ(seq, __atomic_load_n(&f.ring->space_seq, __ATOMIC_SEQ_CST));
    CHECK_EQ(1u, dvs_ring_poll_many(f.ring, f.capacity, out, 1));   /* 4 of 8 left: half */
    CHECK_EQ(seq + 1, __atomic_load_n(&f.ring->space_seq, __ATOMIC_SEQ_CST));
    CHECK_EQ(2u, dvs_ring_poll_many(f.ring, f.capacity, out, 2));   /* the waiter has not run yet */
    CHECK_EQ(seq + 1, __atomic_load_n(&f.ring->space_seq, __ATOMIC_SEQ_CST));
    /* the waiter sleeps again (re-arms): the next batch wakes it again */
    __atomic_store_n(&f.ring->space_pending, 0, __ATOMIC_SEQ_CST);
    CHECK_EQ(1u, dvs_ring_poll_many(f.ring, f.capacity, out, 1));
    CHECK_EQ(seq + 2, __atomic_load_n(&f.ring->space_seq, __ATOMIC_SEQ_CST));
    __atomic_fetch_sub(&f.ring->space_waiters, 1, __ATOMIC_SEQ_CST);
    close_fixture(&f);
}

/* Offers to an owner marked asleep bump its wake_seq (and call futex wake) once until the owner
 * re-arms by clearing wake_pending before it sleeps again; the doorbell shares the rule. */
DVS_TEST(offers_wake_a_sleeping_owner_once_per_sleep)
{
    ring_fixture_t f = open_fixture(8);
    __atomic_store_n(&f.owner->wake_pending, 0, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&f.owner->sleeping, 1, __ATOMIC_SEQ_CST);
    uint32_t seq = __atomic_load_n(&f.owner->wake_seq, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 3; i++) {
        dvs_message_t m = make_message(1, 1, (uint64_t)i);
        CHECK_EQ(DVS_OK, dvs_ring_offer(f.ring, f.capacity, &m, 0, f.owner));
    }
    dvs_doorbell_ring(f.owner);
    CHECK_EQ(seq + 1, __atomic_load_n(&f.owner->wake_seq, __ATOMIC_SEQ_CST));
    __atomic_store_n(&f.owner->wake_pending, 0, __ATOMIC_SEQ_CST);
    dvs_doorbell_ring(f.owner);
    CHECK_EQ(seq + 2, __atomic_load_n(&f.owner->wake_seq, __ATOMIC_SEQ_CST));
    __atomic_fetch_sub(&f.owner->sleeping, 1, __ATOMIC_SEQ_CST);
    close_fixture(&f);
}
