/* Node segment: create / open / close / unlink, and the checks open makes on what it maps. */
#include "dvs_test.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static dvs_dc_config_t g_dcs[2];

static dvs_node_config_t make_config(uint32_t ring_capacity)
{
    memset(g_dcs, 0, sizeof g_dcs);
    g_dcs[0].dcid = 0;
    g_dcs[0].nr_procs = 16;
    g_dcs[0].nr_tasks = 4;
    g_dcs[0].nr_sysprocs = 8;
    g_dcs[0].nodes = 1;
    strcpy(g_dcs[0].name, "dc0");
    g_dcs[1].dcid = 5;
    g_dcs[1].nr_procs = 221;
    g_dcs[1].nr_tasks = 35;
    g_dcs[1].nr_sysprocs = 64;
    g_dcs[1].nodes = 0x5;
    strcpy(g_dcs[1].name, "dc5");

    dvs_node_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.node_id = 3;
    cfg.ring_capacity = ring_capacity;
    cfg.dc_count = 2;
    cfg.dcs = g_dcs;
    strcpy(cfg.node_name, "node3");
    strcpy(cfg.cluster_name, "testcluster");
    return cfg;
}

static const dvs_dc_t *find_dc(const void *base, int32_t dcid)
{
    const dvs_segment_header_t *h = base;
    const dvs_dc_t *dcs = (const dvs_dc_t *)((const uint8_t *)base + h->dcs_offset);
    const dvs_dc_t *found = NULL;
    for (int i = 0; i < h->max_dcs; i++) {
        if (dcs[i].state != 0 && dcs[i].dcid == dcid) {
            CHECK_MSG(found == NULL, "dcid %d appears twice in the DC table", dcid);
            found = &dcs[i];
        }
    }
    CHECK_MSG(found != NULL, "dcid %d is not in the DC table", dcid);
    return found;
}

/* The error of a failed call must say something: a DVS or errno code and a message. */
static void check_failed_with_message(int rc, const char *what)
{
    CHECK_MSG(rc == -1, "%s: expected -1, got %d", what, rc);
    CHECK_MSG(dvs_errcode() != 0, "%s failed without an error code", what);
    CHECK_MSG(dvs_errmsg() != NULL && dvs_errmsg()[0] != '\0', "%s failed without a message", what);
}

/* Rewrites the open segment file to `size` bytes. */
static void truncate_segment(const char *name, off_t size)
{
    int fd = shm_open(name, O_RDWR, 0);
    CHECK_MSG(fd >= 0, "shm_open(%s): %s", name, strerror(errno));
    CHECK_MSG(ftruncate(fd, size) == 0, "ftruncate: %s", strerror(errno));
    close(fd);
}

DVS_TEST(create_lays_out_a_ready_header)
{
    const char *name = dvs_test_segment_name("hdr");
    dvs_node_config_t cfg = make_config(16);
    uint64_t expected_size = dvs_segment_size(&cfg);
    CHECK(expected_size > 0);

    void *base = NULL;
    uint64_t size = 0;
    CHECK_OK(dvs_segment_create(name, &cfg, &base, &size));
    CHECK(base != NULL);
    CHECK_EQ(expected_size, size);

    const dvs_segment_header_t *h = base;
    CHECK(h->magic == DVS_SEGMENT_MAGIC);
    CHECK_EQ(DVS_LAYOUT_VERSION, h->layout_version);
    CHECK_EQ(sizeof(dvs_segment_header_t), h->header_size);
    CHECK_EQ(size, h->segment_size);
    CHECK_EQ(3, h->node_id);
    CHECK_EQ(getpid(), h->host_pid);
    CHECK_EQ(16, h->ring_capacity);
    CHECK_EQ(sizeof(dvs_slot_t), h->slot_size);
    CHECK_EQ(sizeof(dvs_dc_t), h->dc_size);
    CHECK_EQ(sizeof(dvs_ring_header_t), h->ring_header_size);
    CHECK_EQ(sizeof(dvs_cell_t), h->cell_size);
    CHECK_EQ(sizeof(dvs_message_t), h->message_size);
    CHECK_EQ(1, h->state);
    CHECK(strcmp(h->node_name, "node3") == 0);
    CHECK(strcmp(h->cluster_name, "testcluster") == 0);
    CHECK(h->max_dcs >= 2 && h->max_dcs <= DVS_MAX_DCS);
    CHECK_EQ(0, h->dcs_offset % DVS_CACHE_LINE);
    CHECK(h->dcs_offset + (uint64_t)h->max_dcs * sizeof(dvs_dc_t) <= size);

    int running = 0;
    const dvs_dc_t *dcs = (const dvs_dc_t *)((const uint8_t *)base + h->dcs_offset);
    for (int i = 0; i < h->max_dcs; i++)
        running += dcs[i].state != 0;
    CHECK_EQ(2, running);

    for (int k = 0; k < 2; k++) {
        const dvs_dc_config_t *c = &g_dcs[k];
        const dvs_dc_t *dc = find_dc(base, c->dcid);
        CHECK_EQ(c->nr_procs, dc->nr_procs);
        CHECK_EQ(c->nr_tasks, dc->nr_tasks);
        CHECK_EQ(c->nr_sysprocs, dc->nr_sysprocs);
        CHECK_EQ(c->nr_tasks + c->nr_procs, dc->nr_slots);
        CHECK(dc->nodes == c->nodes);
        CHECK(strcmp(dc->name, c->name) == 0);
        CHECK_EQ(0, dc->slots_offset % DVS_CACHE_LINE);
        CHECK_EQ(0, dc->rings_offset % DVS_CACHE_LINE);
        CHECK_EQ(0, dc->ring_stride % DVS_CACHE_LINE);
        CHECK(dc->ring_stride >= sizeof(dvs_ring_header_t) + 16 * sizeof(dvs_cell_t));
        CHECK(dc->slots_offset + (uint64_t)dc->nr_slots * sizeof(dvs_slot_t) <= size);
        CHECK(dc->rings_offset + (uint64_t)dc->nr_slots * dc->ring_stride <= size);
        CHECK(dc->notify_words >= (uint32_t)(dc->nr_slots + 63) / 64);
        CHECK(dc->notify_offset + (uint64_t)dc->nr_slots * dc->notify_words * 8 <= size);

        const dvs_slot_t *slots = (const dvs_slot_t *)((const uint8_t *)base + dc->slots_offset);
        for (int s = 0; s < dc->nr_slots; s++)
            CHECK_MSG(slots[s].state == DVS_SLOT_FREE, "dc %d slot %d state %u, want FREE",
                      c->dcid, s, slots[s].state);
        /* the rings of a fresh segment are empty */
        for (int s = 0; s < dc->nr_slots; s++) {
            dvs_ring_header_t *ring =
                (dvs_ring_header_t *)((uint8_t *)base + dc->rings_offset + s * dc->ring_stride);
            CHECK_EQ(0, dvs_ring_count(ring));
        }
    }
    CHECK_OK(dvs_segment_close(base, size));
    CHECK_OK(dvs_segment_unlink(name));
}

DVS_TEST(create_lays_out_the_node_regions)
{
    const char *name = dvs_test_segment_name("noderegions");
    dvs_node_config_t cfg = make_config(16);
    void *base;
    uint64_t size;
    CHECK_OK(dvs_segment_create(name, &cfg, &base, &size));
    const dvs_segment_header_t *h = base;
    uint8_t *b = base;

    /* the regions are aligned, inside the segment, and overlap neither each other nor the DCs */
    struct { const char *what; uint64_t offset, bytes; } r[] = {
        {"header", 0, sizeof(dvs_segment_header_t)},
        {"dcs", h->dcs_offset, (uint64_t)h->max_dcs * sizeof(dvs_dc_t)},
        {"proxy slot", h->proxy_offset, sizeof(dvs_slot_t)},
        {"nodes", h->nodes_offset, DVS_MAX_NODES * sizeof(dvs_node_entry_t)},
        {"counters", h->counters_offset, sizeof(dvs_counters_t)},
        {"outbound ring", h->outbound_offset,
         sizeof(dvs_ring_header_t) + (uint64_t)h->outbound_capacity * sizeof(dvs_cell_t)},
    };
    const int n = (int)(sizeof r / sizeof r[0]);
    for (int i = 0; i < n; i++) {
        CHECK_MSG(r[i].offset % DVS_CACHE_LINE == 0, "%s at %llu is not cache-line aligned",
                  r[i].what, (unsigned long long)r[i].offset);
        CHECK_MSG(r[i].offset + r[i].bytes <= size, "%s ends past the segment", r[i].what);
        for (int j = 0; j < i; j++)
            CHECK_MSG(r[i].offset >= r[j].offset + r[j].bytes || r[j].offset >= r[i].offset + r[i].bytes,
                      "%s overlaps %s", r[i].what, r[j].what);
        for (int k = 0; k < 2; k++) {
            const dvs_dc_t *dc = find_dc(base, g_dcs[k].dcid);
            uint64_t dc_start = dc->slots_offset;
            uint64_t dc_end = dc->rings_offset + (uint64_t)dc->nr_slots * dc->ring_stride;
            CHECK_MSG(i < 2 || r[i].offset >= dc_end || dc_start >= r[i].offset + r[i].bytes,
                      "%s overlaps the regions of dc %d", r[i].what, g_dcs[k].dcid);
        }
    }

    uint32_t cap = h->outbound_capacity;
    CHECK_MSG(cap >= 16 && (cap & (cap - 1)) == 0, "outbound capacity %u is not a power of two", cap);
    dvs_ring_header_t *outbound = (dvs_ring_header_t *)(b + h->outbound_offset);
    CHECK_EQ(0, dvs_ring_count(outbound));
    dvs_message_t m, got;
    memset(&m, 0, sizeof m);
    m.m_type = 9;
    dvs_slot_t *proxy = (dvs_slot_t *)(b + h->proxy_offset);
    CHECK_EQ(DVS_OK, dvs_ring_offer_aux(outbound, cap, &m, DVS_KIND_SEND, 0x500000007ULL, proxy));
    int32_t meta;
    uint64_t aux = 0;
    CHECK_EQ(DVS_OK, dvs_ring_poll_aux(outbound, cap, &got, &meta, &aux));
    CHECK(aux == 0x500000007ULL);
    CHECK_EQ(9, got.m_type);

    CHECK_EQ(0, h->proxy_pid);
    const dvs_node_entry_t *nodes = (const dvs_node_entry_t *)(b + h->nodes_offset);
    for (int i = 0; i < DVS_MAX_NODES; i++) {
        CHECK_EQ(i, nodes[i].node_id);
        CHECK_EQ(i == 3 ? DVS_NODE_SELF : DVS_NODE_UNKNOWN, nodes[i].state);
    }
    CHECK(strcmp(nodes[3].name, "node3") == 0);
    const dvs_counters_t *counters = (const dvs_counters_t *)(b + h->counters_offset);
    for (int i = 0; i < DVS_COUNTERS; i++)
        CHECK_EQ(0, counters->values[i]);
    CHECK_OK(dvs_segment_close(base, size));
}

DVS_TEST(segment_size_grows_with_the_ring_capacity)
{
    dvs_node_config_t small = make_config(8);
    uint64_t s8 = dvs_segment_size(&small);
    dvs_node_config_t large = make_config(1024);
    uint64_t s1024 = dvs_segment_size(&large);
    CHECK(s8 > 0);
    CHECK(s1024 > s8);
    /* at least one more cell per slot of both DCs for each extra ring position */
    CHECK(s1024 - s8 >= (uint64_t)(1024 - 8) * (4 + 16 + 35 + 221) * sizeof(dvs_cell_t));
}

DVS_TEST(create_uses_mode_0600)
{
    const char *name = dvs_test_segment_name("mode");
    dvs_node_config_t cfg = make_config(8);
    void *base;
    uint64_t size;
    mode_t old = umask(0); /* the shim must not rely on the caller's umask for privacy */
    CHECK_OK(dvs_segment_create(name, &cfg, &base, &size));
    umask(old);
    char path[128];
    snprintf(path, sizeof path, "/dev/shm%s", name);
    struct stat st;
    CHECK_MSG(stat(path, &st) == 0, "stat(%s): %s", path, strerror(errno));
    CHECK_MSG((st.st_mode & 07777) == 0600, "mode %o, want 0600", st.st_mode & 07777);
    CHECK_EQ(size, st.st_size);
    CHECK_OK(dvs_segment_close(base, size));
}

DVS_TEST(create_refuses_an_existing_name)
{
    const char *name = dvs_test_segment_name("excl");
    dvs_node_config_t cfg = make_config(8);
    void *base;
    uint64_t size;
    CHECK_OK(dvs_segment_create(name, &cfg, &base, &size));
    ((dvs_segment_header_t *)base)->node_id = 7;

    void *base2 = (void *)0x1;
    uint64_t size2 = 12345;
    check_failed_with_message(dvs_segment_create(name, &cfg, &base2, &size2), "second create");
    CHECK_MSG(base2 == (void *)0x1 && size2 == 12345, "a failed create assigned its outputs");
    /* the existing segment was not reset */
    CHECK_EQ(7, ((dvs_segment_header_t *)base)->node_id);
    CHECK_OK(dvs_segment_close(base, size));
}

DVS_TEST(create_rejects_an_invalid_config)
{
    const char *name = dvs_test_segment_name("badcfg");
    void *base = (void *)0x1;
    uint64_t size = 0;

    dvs_node_config_t cfg = make_config(12); /* not a power of two */
    CHECK_EQ(0, dvs_segment_size(&cfg));
    CHECK(dvs_errcode() != 0);
    check_failed_with_message(dvs_segment_create(name, &cfg, &base, &size), "capacity 12");

    cfg = make_config(0);
    check_failed_with_message(dvs_segment_create(name, &cfg, &base, &size), "capacity 0");

    cfg = make_config(8);
    g_dcs[1].dcid = DVS_MAX_DCS; /* dcid 0..31 */
    check_failed_with_message(dvs_segment_create(name, &cfg, &base, &size), "dcid 32");

    cfg = make_config(8);
    g_dcs[1].dcid = 0; /* the same DC twice */
    check_failed_with_message(dvs_segment_create(name, &cfg, &base, &size), "duplicate dcid");

    cfg = make_config(8);
    g_dcs[0].nr_tasks = DVS_MAX_TASKS + 1;
    check_failed_with_message(dvs_segment_create(name, &cfg, &base, &size), "nr_tasks 36");

    cfg = make_config(8);
    g_dcs[0].nr_procs = -1;
    check_failed_with_message(dvs_segment_create(name, &cfg, &base, &size), "nr_procs -1");

    CHECK_MSG(base == (void *)0x1, "a failed create assigned *base_out");
    /* nothing was left behind under the name */
    int fd = shm_open(name, O_RDONLY, 0);
    CHECK_MSG(fd < 0 && errno == ENOENT, "a failed create left %s behind", name);
}

DVS_TEST(open_maps_the_same_memory)
{
    const char *name = dvs_test_segment_name("open");
    dvs_node_config_t cfg = make_config(8);
    void *base;
    uint64_t size;
    CHECK_OK(dvs_segment_create(name, &cfg, &base, &size));

    void *other = NULL;
    uint64_t other_size = 0;
    CHECK_OK(dvs_segment_open(name, &other, &other_size));
    CHECK(other != NULL);
    CHECK(other != base);
    CHECK_EQ(size, other_size);
    CHECK(memcmp(base, other, sizeof(dvs_segment_header_t)) == 0);

    /* a write through one mapping is seen through the other */
    const dvs_dc_t *dc = find_dc(base, 5);
    dvs_slot_t *a = (dvs_slot_t *)((uint8_t *)base + dc->slots_offset) + 40;
    dvs_slot_t *b = (dvs_slot_t *)((uint8_t *)other + dc->slots_offset) + 40;
    a->owner_pid = 4242;
    CHECK_EQ(4242, __atomic_load_n(&b->owner_pid, __ATOMIC_ACQUIRE));

    CHECK_OK(dvs_segment_close(other, other_size));
    CHECK_EQ(4242, a->owner_pid); /* closing one mapping leaves the other */
    CHECK_OK(dvs_segment_close(base, size));
}

DVS_TEST(another_process_opens_and_writes_the_segment)
{
    const char *name = dvs_test_segment_name("xproc");
    dvs_node_config_t cfg = make_config(8);
    void *base;
    uint64_t size;
    CHECK_OK(dvs_segment_create(name, &cfg, &base, &size));
    const dvs_dc_t *dc = find_dc(base, 0);
    uint64_t slots_offset = dc->slots_offset;

    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        void *b;
        uint64_t s;
        if (dvs_segment_open(name, &b, &s) != 0)
            _exit(10);
        const dvs_segment_header_t *h = b;
        if (s != size || strcmp(h->node_name, "node3") != 0)
            _exit(11);
        dvs_slot_t *slot = (dvs_slot_t *)((uint8_t *)b + slots_offset) + 2;
        __atomic_store_n(&slot->owner_pid, getpid(), __ATOMIC_RELEASE);
        _exit(dvs_segment_close(b, s) == 0 ? 0 : 12);
    }
    CHECK_EQ(0, dvs_test_join_child(child));
    dvs_slot_t *slot = (dvs_slot_t *)((uint8_t *)base + slots_offset) + 2;
    CHECK_EQ(child, __atomic_load_n(&slot->owner_pid, __ATOMIC_ACQUIRE));
    CHECK_OK(dvs_segment_close(base, size));
}

DVS_TEST(unlink_removes_the_name)
{
    const char *name = dvs_test_segment_name("unlink");
    dvs_node_config_t cfg = make_config(8);
    void *base;
    uint64_t size;
    CHECK_OK(dvs_segment_create(name, &cfg, &base, &size));
    CHECK_OK(dvs_segment_unlink(name));

    void *other = (void *)0x1;
    uint64_t other_size = 77;
    check_failed_with_message(dvs_segment_open(name, &other, &other_size), "open after unlink");
    CHECK_MSG(other == (void *)0x1 && other_size == 77, "a failed open assigned its outputs");
    check_failed_with_message(dvs_segment_unlink(name), "second unlink");

    /* the mapping outlives the name */
    CHECK(((dvs_segment_header_t *)base)->magic == DVS_SEGMENT_MAGIC);
    CHECK_OK(dvs_segment_close(base, size));

    /* and the name can be created anew */
    CHECK_OK(dvs_segment_create(name, &cfg, &base, &size));
    CHECK_OK(dvs_segment_close(base, size));
    CHECK_OK(dvs_segment_unlink(name));
}

DVS_TEST(open_of_a_missing_name_fails)
{
    void *base = (void *)0x1;
    uint64_t size = 0;
    check_failed_with_message(dvs_segment_open("/dvs-test-never-created", &base, &size),
                              "open of a missing segment");
    CHECK(base == (void *)0x1);
}

/* Whether `msg` contains one of the '|'-separated words of `words`, ignoring case. */
static int mentions(const char *msg, const char *words)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", words);
    for (char *save = NULL, *w = strtok_r(buf, "|", &save); w != NULL; w = strtok_r(NULL, "|", &save))
        if (strcasestr(msg, w) != NULL)
            return 1;
    return 0;
}

/* Creates a segment, lets `spoil` damage it, then checks that open refuses it with an error whose
 * message mentions one of `expect` ('|'-separated, case-insensitive), and a DVS error code. */
static void check_open_refuses(const char *tag, void (*spoil)(const char *, void *, uint64_t),
                               const char *expect)
{
    const char *name = dvs_test_segment_name(tag);
    dvs_node_config_t cfg = make_config(8);
    void *base;
    uint64_t size;
    CHECK_OK(dvs_segment_create(name, &cfg, &base, &size));
    spoil(name, base, size);

    void *other = (void *)0x1;
    uint64_t other_size = 99;
    check_failed_with_message(dvs_segment_open(name, &other, &other_size), tag);
    CHECK_MSG(dvs_errcode() < 0, "%s: dvs_errcode %d is not a DVS code", tag, dvs_errcode());
    CHECK_MSG(mentions(dvs_errmsg(), expect), "%s: message \"%s\" does not mention \"%s\"",
              tag, dvs_errmsg(), expect);
    CHECK_MSG(other == (void *)0x1 && other_size == 99, "%s: a failed open assigned its outputs",
              tag);
    CHECK_OK(dvs_segment_close(base, size));
}

static void spoil_magic(const char *name, void *base, uint64_t size)
{
    (void)name, (void)size;
    ((dvs_segment_header_t *)base)->magic ^= 0xff;
}

static void spoil_version(const char *name, void *base, uint64_t size)
{
    (void)name, (void)size;
    ((dvs_segment_header_t *)base)->layout_version = DVS_LAYOUT_VERSION + 1;
}

static void spoil_slot_size(const char *name, void *base, uint64_t size)
{
    (void)name, (void)size;
    ((dvs_segment_header_t *)base)->slot_size += 64;
}

static void spoil_cell_size(const char *name, void *base, uint64_t size)
{
    (void)name, (void)size;
    ((dvs_segment_header_t *)base)->cell_size = 64;
}

static void truncate_to_half(const char *name, void *base, uint64_t size)
{
    (void)base;
    truncate_segment(name, (off_t)(size / 2));
}

static void truncate_below_header(const char *name, void *base, uint64_t size)
{
    (void)base, (void)size;
    truncate_segment(name, 16);
}

static void truncate_to_zero(const char *name, void *base, uint64_t size)
{
    (void)base, (void)size;
    truncate_segment(name, 0);
}

DVS_TEST(open_rejects_a_wrong_magic)
{
    check_open_refuses("magic", spoil_magic, "magic");
}

DVS_TEST(open_rejects_another_layout_version)
{
    check_open_refuses("version", spoil_version, "version");
}

DVS_TEST(open_rejects_other_struct_sizes)
{
    check_open_refuses("slotsize", spoil_slot_size, "size");
    check_open_refuses("cellsize", spoil_cell_size, "size");
}

/* A truncated file must give an error, not a SIGBUS on first touch. */
DVS_TEST(open_rejects_a_truncated_file)
{
    check_open_refuses("half", truncate_to_half, "truncat|bytes|size");
    check_open_refuses("short", truncate_below_header, "truncat|bytes|size");
    check_open_refuses("empty", truncate_to_zero, "truncat|bytes|size");
}

/* A header or DC descriptor field set to a value that the file cannot hold (see spoil_field). */
typedef struct field_spoil {
    const char *field;   /* the name the error must mention */
    int in_dc;           /* 0: the segment header; 1: the descriptor of DC 5 */
    size_t offset;
    size_t size;
    uint64_t value;
} field_spoil_t;

static field_spoil_t g_spoil;

static void spoil_field(const char *name, void *base, uint64_t size)
{
    (void)name, (void)size;
    uint8_t *p = base;
    if (g_spoil.in_dc)
        p = (uint8_t *)find_dc(base, 5);
    p += g_spoil.offset;
    if (g_spoil.size == 8)
        memcpy(p, &g_spoil.value, 8);
    else {
        uint32_t v = (uint32_t)g_spoil.value;
        memcpy(p, &v, 4);
    }
}

#define HEADER_FIELD(f, v) {#f, 0, offsetof(dvs_segment_header_t, f), sizeof(((dvs_segment_header_t *)0)->f), (uint64_t)(v)}
#define DC_FIELD(f, v)     {#f, 1, offsetof(dvs_dc_t, f), sizeof(((dvs_dc_t *)0)->f), (uint64_t)(v)}

/* A header that passes the magic, version and size checks but whose offsets, sizes or counts do
 * not fit the file: open must refuse it naming the field, never hand out a mapping whose first
 * use reads outside it (SIGSEGV) or sizes an allocation from garbage. */
DVS_TEST(open_rejects_offsets_sizes_and_counts_that_do_not_fit_the_file)
{
    const uint64_t far = 1ull << 40;
    const field_spoil_t spoils[] = {
        HEADER_FIELD(dcs_offset, far), HEADER_FIELD(dcs_offset, UINT64_MAX - 64),
        HEADER_FIELD(outbound_offset, far), HEADER_FIELD(outbound_offset, UINT64_MAX - 4095),
        HEADER_FIELD(proxy_offset, far), HEADER_FIELD(nodes_offset, far), HEADER_FIELD(counters_offset, far),
        HEADER_FIELD(ring_capacity, 3), HEADER_FIELD(ring_capacity, 1u << 31), HEADER_FIELD(ring_capacity, 0),
        HEADER_FIELD(outbound_capacity, 1u << 31), HEADER_FIELD(outbound_capacity, 0),
        HEADER_FIELD(max_dcs, 0x7fffffff), HEADER_FIELD(max_dcs, -1), HEADER_FIELD(node_id, 99),
        DC_FIELD(slots_offset, far), DC_FIELD(slots_offset, UINT64_MAX - 255),
        DC_FIELD(rings_offset, far), DC_FIELD(rings_offset, UINT64_MAX - 4095),
        DC_FIELD(notify_offset, far), DC_FIELD(nr_slots, 0x7fffffff), DC_FIELD(nr_slots, -1),
        DC_FIELD(nr_tasks, -1), DC_FIELD(nr_procs, 0x7fffffff), DC_FIELD(nr_sysprocs, 0x7fffffff),
        DC_FIELD(ring_stride, 64), DC_FIELD(ring_stride, far), DC_FIELD(notify_words, 0x80000000u),
        DC_FIELD(dcid, 7),
    };
    for (size_t i = 0; i < sizeof spoils / sizeof spoils[0]; i++) {
        g_spoil = spoils[i];
        char tag[64];
        snprintf(tag, sizeof tag, "bad-%zu", i);
        check_open_refuses(tag, spoil_field, g_spoil.field);
    }
}

/* The self-description that the C#/C layout test reads must agree with this header. */
struct expected_field {
    const char *type_name;
    const char *field_name;
    size_t offset;
    size_t size;
};

#define F(type, field) {#type, #field, offsetof(type, field), sizeof(((type *)0)->field)}

static const struct expected_field g_expected[] = {
    F(dvs_message_t, m_source), F(dvs_message_t, m_type), F(dvs_message_t, m_payload),
    F(dvs_segment_header_t, magic), F(dvs_segment_header_t, layout_version),
    F(dvs_segment_header_t, header_size), F(dvs_segment_header_t, segment_size),
    F(dvs_segment_header_t, node_id), F(dvs_segment_header_t, max_dcs),
    F(dvs_segment_header_t, host_pid), F(dvs_segment_header_t, ring_capacity),
    F(dvs_segment_header_t, incarnation), F(dvs_segment_header_t, slot_size),
    F(dvs_segment_header_t, dc_size), F(dvs_segment_header_t, ring_header_size),
    F(dvs_segment_header_t, state), F(dvs_segment_header_t, dcs_offset),
    F(dvs_segment_header_t, host_start_time), F(dvs_segment_header_t, node_name),
    F(dvs_segment_header_t, cluster_name), F(dvs_segment_header_t, cell_size),
    F(dvs_segment_header_t, message_size), F(dvs_segment_header_t, outbound_offset),
    F(dvs_segment_header_t, proxy_offset), F(dvs_segment_header_t, nodes_offset),
    F(dvs_segment_header_t, counters_offset), F(dvs_segment_header_t, outbound_capacity),
    F(dvs_segment_header_t, proxy_pid),
    F(dvs_dc_t, dcid), F(dvs_dc_t, state), F(dvs_dc_t, nr_procs), F(dvs_dc_t, nr_tasks),
    F(dvs_dc_t, nr_sysprocs), F(dvs_dc_t, nr_slots), F(dvs_dc_t, nodes), F(dvs_dc_t, slots_offset),
    F(dvs_dc_t, rings_offset), F(dvs_dc_t, ring_stride), F(dvs_dc_t, notify_offset),
    F(dvs_dc_t, notify_words), F(dvs_dc_t, dir_version), F(dvs_dc_t, name),
    F(dvs_slot_t, endpoint), F(dvs_slot_t, state), F(dvs_slot_t, owner_pid),
    F(dvs_slot_t, owner_node), F(dvs_slot_t, epoch), F(dvs_slot_t, flags),
    F(dvs_slot_t, owner_start_time), F(dvs_slot_t, name), F(dvs_slot_t, bind_count),
    F(dvs_slot_t, p_nr), F(dvs_slot_t, wake_seq), F(dvs_slot_t, sleeping),
    F(dvs_slot_t, notify_summary), F(dvs_slot_t, wake_pending), F(dvs_slot_t, reply_word), F(dvs_slot_t, sent),
    F(dvs_slot_t, received), F(dvs_slot_t, replies), F(dvs_slot_t, reply),
    F(dvs_ring_header_t, tail), F(dvs_ring_header_t, head), F(dvs_ring_header_t, space_seq),
    F(dvs_ring_header_t, space_waiters), F(dvs_ring_header_t, full_count), F(dvs_ring_header_t, space_pending), F(dvs_ring_header_t, proxy_waiting),
    F(dvs_cell_t, seq), F(dvs_cell_t, meta), F(dvs_cell_t, aux), F(dvs_cell_t, message),
    F(dvs_node_entry_t, state), F(dvs_node_entry_t, node_id), F(dvs_node_entry_t, incarnation),
    F(dvs_node_entry_t, rtt_ns), F(dvs_node_entry_t, retransmissions), F(dvs_node_entry_t, name),
    F(dvs_counters_t, values),
};

/* "dvs_slot_t", "dvs_slot" and "slot" all name the same type. */
static int same_type(const char *listed, const char *expected_t)
{
    char plain[64];
    snprintf(plain, sizeof plain, "%s", expected_t);
    size_t n = strlen(plain);
    if (n > 2 && strcmp(plain + n - 2, "_t") == 0)
        plain[n - 2] = '\0';
    return strcmp(listed, expected_t) == 0 || strcmp(listed, plain) == 0 ||
           strcmp(listed, plain + 4) == 0;
}

DVS_TEST(layout_fields_describe_the_header)
{
    const dvs_layout_field_t *fields = NULL;
    int n = dvs_layout_fields(&fields);
    CHECK(n > 0);
    CHECK(fields != NULL);
    for (size_t e = 0; e < sizeof g_expected / sizeof g_expected[0]; e++) {
        const struct expected_field *x = &g_expected[e];
        int found = 0;
        for (int i = 0; i < n; i++) {
            if (same_type(fields[i].type_name, x->type_name) &&
                strcmp(fields[i].field_name, x->field_name) == 0) {
                CHECK_MSG(fields[i].offset == x->offset && fields[i].size == x->size,
                          "%s.%s: listed at %u size %u, the header says %zu size %zu",
                          x->type_name, x->field_name, fields[i].offset, fields[i].size,
                          x->offset, x->size);
                found++;
            }
        }
        CHECK_MSG(found == 1, "%s.%s listed %d times by dvs_layout_fields, want once",
                  x->type_name, x->field_name, found);
    }
}
