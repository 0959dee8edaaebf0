/*
 * The node segment: one POSIX shared memory object per node host, mode 0600, laid out once by
 * the host (dvs_segment_create) and mapped by every process of the node (dvs_segment_open).
 *
 *   header | dvs_dc_t[DVS_MAX_DCS] | per running DC: slots | notify bitmaps | inbound rings
 *
 * Every region starts on a cache line. Offsets are written into the header and the DC
 * descriptors, so readers never compute them: a process built against another layout fails in
 * dvs_segment_open with EDVSBADVALUE and a message naming both versions.
 */
#include "dvs_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DVS_ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((uint64_t)(a) - 1))

static int dvs_is_pow2(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

static uint64_t dvs_ring_stride(uint32_t capacity)
{
    return DVS_ALIGN_UP(sizeof(dvs_ring_header_t) + (uint64_t)capacity * sizeof(dvs_cell_t), 4096);
}

/* The outbound ring carries every node-to-node message of the node: 4x an endpoint's ring, at least 1024. */
static uint32_t dvs_outbound_capacity(uint32_t ring_capacity)
{
    uint64_t c = (uint64_t)ring_capacity * 4u;
    if (c < 1024u) c = 1024u;
    if (c > 65536u) c = 65536u;
    return (uint32_t)c;
}

static int dvs_validate_config(const dvs_node_config_t *cfg)
{
    if (cfg == NULL) return dvs_set_error(EDVSINVAL, "node config is null");
    if (cfg->node_id < 0 || cfg->node_id >= DVS_MAX_NODES)
        return dvs_set_error(EDVSBADVALUE, "node id %d out of range 0..%d", cfg->node_id, DVS_MAX_NODES - 1);
    if (!dvs_is_pow2(cfg->ring_capacity) || cfg->ring_capacity < 2 || cfg->ring_capacity > 65536)
        return dvs_set_error(EDVSBADVALUE, "ring capacity %u is not a power of two in 2..65536", cfg->ring_capacity);
    if (cfg->dc_count < 0 || cfg->dc_count > DVS_MAX_DCS || (cfg->dc_count > 0 && cfg->dcs == NULL))
        return dvs_set_error(EDVSBADVALUE, "dc count %d out of range 0..%d", cfg->dc_count, DVS_MAX_DCS);
    uint32_t seen = 0;
    for (int i = 0; i < cfg->dc_count; i++) {
        const dvs_dc_config_t *dc = &cfg->dcs[i];
        if (dc->dcid < 0 || dc->dcid >= DVS_MAX_DCS)
            return dvs_set_error(EDVSBADVALUE, "dcid %d out of range 0..%d", dc->dcid, DVS_MAX_DCS - 1);
        if (seen & (1u << dc->dcid))
            return dvs_set_error(EDVSBADVALUE, "dcid %d configured twice", dc->dcid);
        seen |= 1u << dc->dcid;
        if (dc->nr_tasks < 0 || dc->nr_tasks > DVS_MAX_TASKS)
            return dvs_set_error(EDVSBADVALUE, "dc %d: nr_tasks %d out of range 0..%d", dc->dcid, dc->nr_tasks, DVS_MAX_TASKS);
        if (dc->nr_procs < 1 || dc->nr_tasks + dc->nr_procs > DVS_MAX_SLOTS)
            return dvs_set_error(EDVSBADVALUE, "dc %d: nr_procs %d out of range (nr_tasks + nr_procs <= %d)", dc->dcid, dc->nr_procs, DVS_MAX_SLOTS);
        if (dc->nr_sysprocs < 0 || dc->nr_sysprocs > dc->nr_tasks + dc->nr_procs)
            return dvs_set_error(EDVSBADVALUE, "dc %d: nr_sysprocs %d out of range 0..%d", dc->dcid, dc->nr_sysprocs, dc->nr_tasks + dc->nr_procs);
    }
    return 0;
}

/* Lays out the segment; with base == NULL only computes the size. */
static uint64_t dvs_layout(const dvs_node_config_t *cfg, uint8_t *base)
{
    uint64_t off = DVS_ALIGN_UP(sizeof(dvs_segment_header_t), DVS_CACHE_LINE);
    const uint64_t dcs_offset = off;
    off += DVS_ALIGN_UP(sizeof(dvs_dc_t) * DVS_MAX_DCS, 4096);
    const uint64_t stride = dvs_ring_stride(cfg->ring_capacity);
    /* node-level regions: the proxy's doorbell slot, the peer table, counters, the outbound ring */
    const uint64_t proxy_offset = off;
    off = DVS_ALIGN_UP(off + sizeof(dvs_slot_t), DVS_CACHE_LINE);
    const uint64_t nodes_offset = off;
    off = DVS_ALIGN_UP(off + sizeof(dvs_node_entry_t) * DVS_MAX_NODES, DVS_CACHE_LINE);
    const uint64_t counters_offset = off;
    off = DVS_ALIGN_UP(off + sizeof(dvs_counters_t), 4096);
    const uint32_t outbound_capacity = dvs_outbound_capacity(cfg->ring_capacity);
    const uint64_t outbound_offset = off;
    off += dvs_ring_stride(outbound_capacity);
    if (base != NULL) {
        dvs_slot_t *proxy = (dvs_slot_t *)(base + proxy_offset);
        proxy->endpoint = DVS_NONE;
        proxy->owner_node = cfg->node_id;
        dvs_node_entry_t *nodes = (dvs_node_entry_t *)(base + nodes_offset);
        for (int n = 0; n < DVS_MAX_NODES; n++) {
            nodes[n].node_id = n;
            nodes[n].state = n == cfg->node_id ? DVS_NODE_SELF : DVS_NODE_UNKNOWN;
        }
        memcpy(nodes[cfg->node_id].name, cfg->node_name, sizeof nodes[0].name);
        nodes[cfg->node_id].name[sizeof nodes[0].name - 1] = '\0';
        dvs_ring_reset((dvs_ring_header_t *)(base + outbound_offset), outbound_capacity);
    }
    for (int i = 0; i < cfg->dc_count; i++) {
        const dvs_dc_config_t *c = &cfg->dcs[i];
        const int32_t nr_slots = c->nr_tasks + c->nr_procs;
        const uint32_t notify_words = (uint32_t)((nr_slots + 63) / 64);
        const uint64_t slots_offset = off;
        off = DVS_ALIGN_UP(off + (uint64_t)nr_slots * sizeof(dvs_slot_t), DVS_CACHE_LINE);
        const uint64_t notify_offset = off;
        off = DVS_ALIGN_UP(off + (uint64_t)nr_slots * notify_words * 8u, 4096);
        const uint64_t rings_offset = off;
        off += (uint64_t)nr_slots * stride;
        if (base != NULL) {
            dvs_dc_t *dc = (dvs_dc_t *)(base + dcs_offset) + c->dcid;
            dc->dcid = c->dcid;
            dc->nr_procs = c->nr_procs;
            dc->nr_tasks = c->nr_tasks;
            dc->nr_sysprocs = c->nr_sysprocs;
            dc->nr_slots = nr_slots;
            dc->nodes = c->nodes;
            dc->slots_offset = slots_offset;
            dc->rings_offset = rings_offset;
            dc->ring_stride = stride;
            dc->notify_offset = notify_offset;
            dc->notify_words = notify_words;
            memcpy(dc->name, c->name, sizeof dc->name);
            dc->name[sizeof dc->name - 1] = '\0';
            dvs_slot_t *slots = (dvs_slot_t *)(base + slots_offset);
            for (int32_t s = 0; s < nr_slots; s++) {
                slots[s].p_nr = s - c->nr_tasks;
                slots[s].endpoint = slots[s].p_nr;
                slots[s].state = DVS_SLOT_FREE;
                slots[s].owner_node = -1;
                slots[s].reply_word = 0;
                dvs_ring_reset((dvs_ring_header_t *)(base + rings_offset + (uint64_t)s * stride), cfg->ring_capacity);
            }
            atomic_store_explicit((_Atomic uint32_t *)&dc->state, 1u, memory_order_release);
        }
    }
    if (base != NULL) {
        dvs_segment_header_t *h = (dvs_segment_header_t *)base;
        h->layout_version = DVS_LAYOUT_VERSION;
        h->header_size = sizeof(dvs_segment_header_t);
        h->segment_size = off;
        h->node_id = cfg->node_id;
        h->max_dcs = DVS_MAX_DCS;
        h->host_pid = (int32_t)getpid();
        h->ring_capacity = cfg->ring_capacity;
        if (cfg->incarnation != 0) {
            h->incarnation = cfg->incarnation;
        } else {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            h->incarnation = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
        }
        h->slot_size = sizeof(dvs_slot_t);
        h->dc_size = sizeof(dvs_dc_t);
        h->ring_header_size = sizeof(dvs_ring_header_t);
        h->cell_size = sizeof(dvs_cell_t);
        h->message_size = sizeof(dvs_message_t);
        h->dcs_offset = dcs_offset;
        h->outbound_offset = outbound_offset;
        h->proxy_offset = proxy_offset;
        h->nodes_offset = nodes_offset;
        h->counters_offset = counters_offset;
        h->outbound_capacity = outbound_capacity;
        h->proxy_pid = 0;
        h->host_start_time = dvs_pid_start_time(h->host_pid);
        memcpy(h->node_name, cfg->node_name, sizeof h->node_name);
        h->node_name[sizeof h->node_name - 1] = '\0';
        memcpy(h->cluster_name, cfg->cluster_name, sizeof h->cluster_name);
        h->cluster_name[sizeof h->cluster_name - 1] = '\0';
        /* magic last: a reader that sees it sees a complete header */
        atomic_store_explicit((_Atomic uint64_t *)&h->magic, DVS_SEGMENT_MAGIC, memory_order_release);
        atomic_store_explicit((_Atomic uint32_t *)&h->state, 1u, memory_order_release);
    }
    return off;
}

uint64_t dvs_segment_size(const dvs_node_config_t *cfg)
{
    if (dvs_validate_config(cfg) != 0) return 0;
    return dvs_layout(cfg, NULL);
}

static int dvs_check_name(const char *name)
{
    if (name == NULL || name[0] != '/' || strlen(name) < 2 || strlen(name) > 200 || strchr(name + 1, '/') != NULL)
        return dvs_set_error(EDVSBADVALUE, "segment name '%s' must be '/' followed by 1..199 characters without '/'",
                             name == NULL ? "(null)" : name);
    return 0;
}

int dvs_segment_create(const char *name, const dvs_node_config_t *cfg, void **base_out, uint64_t *size_out)
{
    dvs_clear_error();
    if (dvs_check_name(name) != 0 || dvs_validate_config(cfg) != 0) return -1;
    const uint64_t size = dvs_layout(cfg, NULL);
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        int e = errno;
        return dvs_set_error(EDVSBADFILE, "shm_open(%s): %s%s", name, strerror(e),
                             e == EEXIST ? " (a node of that name exists)" : "");
    }
    if (ftruncate(fd, (off_t)size) != 0) {
        int e = errno;
        close(fd);
        shm_unlink(name);
        return dvs_set_error(EDVSALLOCMEM, "ftruncate(%s, %llu): %s", name, (unsigned long long)size, strerror(e));
    }
    void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int e = errno;
    close(fd);
    if (base == MAP_FAILED) {
        shm_unlink(name);
        return dvs_set_error(EDVSALLOCMEM, "mmap(%s, %llu): %s", name, (unsigned long long)size, strerror(e));
    }
    dvs_layout(cfg, (uint8_t *)base);
    *base_out = base;
    *size_out = size;
    return 0;
}

/* Whether count items of item_size bytes from offset lie inside size bytes (no overflow). */
static int dvs_fits(uint64_t offset, uint64_t count, uint64_t item_size, uint64_t size)
{
    return offset <= size && (item_size == 0 || count <= (size - offset) / item_size);
}

/* An offset where a region starts: inside the file and on a cache line, as dvs_layout puts them. */
static int dvs_check_region(const char *name, const char *what, const char *field, uint64_t offset,
                            uint64_t count, uint64_t item_size, uint64_t size)
{
    if (offset % DVS_CACHE_LINE != 0)
        return dvs_set_error(EDVSBADVALUE, "node segment %s: %s %llu is not a multiple of %d", name, field,
                             (unsigned long long)offset, DVS_CACHE_LINE);
    if (!dvs_fits(offset, count, item_size, size))
        return dvs_set_error(EDVSBADVALUE, "node segment %s: %s (%s %llu, %llu x %llu bytes) reach past the end of the segment (%llu bytes)",
                             name, what, field, (unsigned long long)offset, (unsigned long long)count,
                             (unsigned long long)item_size, (unsigned long long)size);
    return 0;
}

/*
 * Every offset, size and count the header and the DC table give, against the file's length (the
 * header is trusted only after this): readers index the mapping with them and size their tables
 * from them, so a garbage value would read outside the mapping (SIGSEGV) or allocate gigabytes.
 */
static int dvs_check_layout(const char *name, const uint8_t *base, uint64_t size)
{
    const dvs_segment_header_t *h = (const dvs_segment_header_t *)base;
    if (h->node_id < 0 || h->node_id >= DVS_MAX_NODES)
        return dvs_set_error(EDVSBADVALUE, "node segment %s: node_id %d out of range 0..%d", name, h->node_id, DVS_MAX_NODES - 1);
    if (h->max_dcs != DVS_MAX_DCS)
        return dvs_set_error(EDVSBADVALUE, "node segment %s: max_dcs %d, this build has %d", name, h->max_dcs, DVS_MAX_DCS);
    if (!dvs_is_pow2(h->ring_capacity) || h->ring_capacity < 2 || h->ring_capacity > 65536)
        return dvs_set_error(EDVSBADVALUE, "node segment %s: ring_capacity %u is not a power of two in 2..65536", name, h->ring_capacity);
    if (!dvs_is_pow2(h->outbound_capacity) || h->outbound_capacity < 2 || h->outbound_capacity > 65536)
        return dvs_set_error(EDVSBADVALUE, "node segment %s: outbound_capacity %u is not a power of two in 2..65536", name, h->outbound_capacity);
    if (dvs_check_region(name, "the DC table", "dcs_offset", h->dcs_offset, DVS_MAX_DCS, sizeof(dvs_dc_t), size) != 0 ||
        dvs_check_region(name, "the proxy slot", "proxy_offset", h->proxy_offset, 1, sizeof(dvs_slot_t), size) != 0 ||
        dvs_check_region(name, "the node table", "nodes_offset", h->nodes_offset, DVS_MAX_NODES, sizeof(dvs_node_entry_t), size) != 0 ||
        dvs_check_region(name, "the counters", "counters_offset", h->counters_offset, 1, sizeof(dvs_counters_t), size) != 0 ||
        dvs_check_region(name, "the outbound ring", "outbound_offset", h->outbound_offset, 1,
                         sizeof(dvs_ring_header_t) + (uint64_t)h->outbound_capacity * sizeof(dvs_cell_t), size) != 0)
        return -1;
    const dvs_dc_t *dcs = (const dvs_dc_t *)(base + h->dcs_offset);
    const uint64_t min_stride = sizeof(dvs_ring_header_t) + (uint64_t)h->ring_capacity * sizeof(dvs_cell_t);
    for (int i = 0; i < DVS_MAX_DCS; i++) {
        const dvs_dc_t *dc = &dcs[i];
        if (atomic_load_explicit((_Atomic uint32_t *)&dc->state, memory_order_acquire) == 0)
            continue;
        const int64_t nr_slots = (int64_t)dc->nr_tasks + dc->nr_procs;
        const char *bad = NULL;
        if (dc->dcid != i) bad = "dcid";
        else if (dc->nr_tasks < 0 || dc->nr_tasks > DVS_MAX_TASKS) bad = "nr_tasks";
        else if (dc->nr_procs < 1 || nr_slots > DVS_MAX_SLOTS) bad = "nr_procs";
        else if (dc->nr_slots != nr_slots) bad = "nr_slots";
        else if (dc->nr_sysprocs < 0 || dc->nr_sysprocs > dc->nr_slots) bad = "nr_sysprocs";
        else if (dc->notify_words != (uint32_t)((nr_slots + 63) / 64)) bad = "notify_words";
        else if (dc->ring_stride < min_stride || dc->ring_stride % DVS_CACHE_LINE != 0) bad = "ring_stride";
        if (bad != NULL)
            return dvs_set_error(EDVSBADVALUE, "node segment %s: DC %d (table entry %d) has an invalid %s "
                                 "(dcid %d, nr_tasks %d, nr_procs %d, nr_slots %d, nr_sysprocs %d, notify_words %u, ring_stride %llu)",
                                 name, dc->dcid, i, bad, dc->dcid, dc->nr_tasks, dc->nr_procs, dc->nr_slots, dc->nr_sysprocs,
                                 dc->notify_words, (unsigned long long)dc->ring_stride);
        char what[48];
        snprintf(what, sizeof what, "DC %d's slots", i);
        if (dvs_check_region(name, what, "slots_offset", dc->slots_offset, (uint64_t)nr_slots, sizeof(dvs_slot_t), size) != 0)
            return -1;
        snprintf(what, sizeof what, "DC %d's notify bitmaps", i);
        if (dvs_check_region(name, what, "notify_offset", dc->notify_offset, (uint64_t)nr_slots * dc->notify_words, 8, size) != 0)
            return -1;
        snprintf(what, sizeof what, "DC %d's rings, ring_stride apart,", i);
        if (dvs_check_region(name, what, "rings_offset", dc->rings_offset, (uint64_t)nr_slots, dc->ring_stride, size) != 0)
            return -1;
    }
    return 0;
}

int dvs_segment_open(const char *name, void **base_out, uint64_t *size_out)
{
    dvs_clear_error();
    if (dvs_check_name(name) != 0) return -1;
    int fd = shm_open(name, O_RDWR, 0);
    if (fd < 0) {
        int e = errno;
        return dvs_set_error(EDVSBADFILE, "no node segment %s (is the node host running?): %s", name, strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || (uint64_t)st.st_size < sizeof(dvs_segment_header_t)) {
        close(fd);
        return dvs_set_error(EDVSBADFILE, "node segment %s is truncated (%lld bytes)", name, (long long)st.st_size);
    }
    const uint64_t size = (uint64_t)st.st_size;
    void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int e = errno;
    close(fd);
    if (base == MAP_FAILED) return dvs_set_error(EDVSALLOCMEM, "mmap(%s): %s", name, strerror(e));
    const dvs_segment_header_t *h = (const dvs_segment_header_t *)base;
    const uint64_t magic = atomic_load_explicit((_Atomic uint64_t *)&h->magic, memory_order_acquire);
    int rc = 0;
    if (magic != DVS_SEGMENT_MAGIC) {
        rc = dvs_set_error(EDVSBADFILE, "%s is not a Dvs node segment (magic %#llx)", name, (unsigned long long)magic);
    } else if (h->layout_version != DVS_LAYOUT_VERSION) {
        rc = dvs_set_error(EDVSBADVALUE, "node segment %s has layout version %u, this build uses %u: run the same Dvs version on the whole node",
                           name, h->layout_version, DVS_LAYOUT_VERSION);
    } else if (h->header_size != sizeof(dvs_segment_header_t) || h->slot_size != sizeof(dvs_slot_t) ||
               h->dc_size != sizeof(dvs_dc_t) || h->ring_header_size != sizeof(dvs_ring_header_t) ||
               h->cell_size != sizeof(dvs_cell_t) || h->message_size != sizeof(dvs_message_t)) {
        rc = dvs_set_error(EDVSBADVALUE, "node segment %s has struct sizes that differ from this build", name);
    } else if (h->segment_size != size) {
        rc = dvs_set_error(EDVSBADFILE, "node segment %s is %llu bytes, its header says %llu", name,
                           (unsigned long long)size, (unsigned long long)h->segment_size);
    } else {
        rc = dvs_check_layout(name, (const uint8_t *)base, size);
    }
    if (rc != 0) {
        munmap(base, size);
        return rc;
    }
    *base_out = base;
    *size_out = size;
    return 0;
}

int dvs_segment_close(void *base, uint64_t size)
{
    if (base == NULL) return 0;
    if (munmap(base, size) != 0) return dvs_set_error(EDVSINVAL, "munmap: %s", strerror(errno));
    return 0;
}

int dvs_segment_unlink(const char *name)
{
    dvs_clear_error();
    if (dvs_check_name(name) != 0) return -1;
    if (shm_unlink(name) != 0) return dvs_set_error(EDVSBADFILE, "shm_unlink(%s): %s", name, strerror(errno));
    return 0;
}
