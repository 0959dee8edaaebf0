/*
 * libdvsshim: the native core of Dvs.
 *
 * One public header. It declares the shared-memory layout of a node segment (mirrored by the
 * explicit-layout structs in managed/Dvs/Layout, checked field by field by a test) and the few
 * calls that must be native: segment create/open/map, the MPSC inbound ring, futex wait/wake,
 * process liveness, cross-process bulk copy and CPU affinity.
 *
 * Conventions (after aeron): every symbol is prefixed dvs_/DVS_; calls return 0 (or a count) on
 * success and -1 on failure with a per-thread error code and message (dvs_errcode/dvs_errmsg);
 * constructors assign *out only on success; nothing here prints or aborts. The ring calls are the
 * exception: they are on the hot path and return a DVS status code directly.
 */
#ifndef DVS_DVS_H
#define DVS_DVS_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(DVS_BUILDING_SHIM)
#define DVS_API __attribute__((visibility("default")))
#else
#define DVS_API
#endif

/* ---------------------------------------------------------------- constants */

#define DVS_SEGMENT_MAGIC      0x31474553535644ULL /* "DVSSEG1" little endian */
#define DVS_LAYOUT_VERSION     5u  /* bump at every change of a shared struct (5: cells name their claimer; slot hold / hold_for) */
#define DVS_CACHE_LINE         64

#define DVS_MAX_DCS            32   /* dcid 0..31, as in DVS (NR_DCS) */
#define DVS_MAX_NODES          32   /* nodeid 0..31 (_NR_NODES) */
#define DVS_MAX_TASKS          35   /* largest nr_tasks; fixes the endpoint encoding */
#define DVS_MAX_SLOTS          4096 /* nr_tasks + nr_procs per DC */

/* Endpoint encoding of DVS (include/com/endpoint.h): _ENDPOINT(g,p) = g*GEN_SIZE + p. */
#define DVS_ANY                0x7ace
#define DVS_NONE               0x6ace
#define DVS_SELF               0x8ace
#define DVS_GENERATION_SIZE    (DVS_MAX_TASKS + DVS_SELF + 1)

/* Endpoint slot states (dvs_slot_t.state). */
#define DVS_SLOT_FREE          0u
#define DVS_SLOT_LOCAL         1u
#define DVS_SLOT_REMOTE        2u
#define DVS_SLOT_MIGRATING     3u
#define DVS_SLOT_BACKUP        4u
#define DVS_SLOT_BINDING       5u  /* transient: a bind or reclaim is rewriting the slot */

/* Ring cell meta: low 8 bits the call kind, upper 24 bits the request sequence (sendrec). */
#define DVS_KIND_SEND          1
#define DVS_KIND_SENDREC       2
#define DVS_KIND_REPLY         3   /* outbound ring only: a reply for a remote caller */
#define DVS_KIND_NOTIFY        4   /* outbound ring only: a notify for a remote endpoint */
#define DVS_KIND_VCOPY         5   /* outbound ring only: a vcopy with a remote side, routed to the source's node */
#define DVS_KIND_MASK          0xff

/* Reply word (dvs_slot_t.reply_word): state in bits 56..63, request sequence in bits 32..55,
 * the endpoint the reply must come from in bits 0..31. One 64-bit CAS moves it, so a late reply
 * to an abandoned request can never land on a newer one. */
#define DVS_REPLY_IDLE         0u
#define DVS_REPLY_AWAITING     1u
#define DVS_REPLY_WRITING      2u
#define DVS_REPLY_DONE         3u
#define DVS_REPLY_PEER_DIED    4u
#define DVS_REPLY_PEER_DOWN    5u  /* the node of the peer is down (EDVSNOTCONN) */
#define DVS_REPLY_FAILED       6u  /* the call failed remotely: the error code is in reply.m_type */

/* Segment states (dvs_segment_header_t.state). */
#define DVS_SEGMENT_CREATING   0u
#define DVS_SEGMENT_READY      1u
#define DVS_SEGMENT_SHUT_DOWN  2u  /* its host stopped cleanly (the name is unlinked) */
#define DVS_SEGMENT_HOST_GONE  3u  /* a process found the host dead (pid gone): the mapping is stale */

/* dvs_segment_header_t.proxy_pid when the host's proxy failed (a thread of it died): remote calls fail. */
#define DVS_PROXY_FAILED       (-1)

/* Peer node states (dvs_node_entry_t.state). */
#define DVS_NODE_UNKNOWN       0u
#define DVS_NODE_UP            1u
#define DVS_NODE_DOWN          2u
#define DVS_NODE_SELF          3u

#define DVS_COUNTERS           64

/* Errors: the DVS numbering (include/com/dvs_errno.h). Only those the shim itself returns. */
#define DVS_OK                 0
#define EDVSAGAIN              (-11)
#define EDVSINVAL              (-22)
#define EDVSTIMEDOUT           (-61)
#define EDVSBADVALUE           (-339)
#define EDVSBADFILE            (-341)
#define EDVSALLOCMEM           (-344)
#define EDVSERRCODE            (-301)

/* ---------------------------------------------------------------- shared layout */

/* A message: fixed 64 bytes, blittable. m_source is stamped by the sender's library. */
typedef struct dvs_message {
    int32_t m_source;
    int32_t m_type;
    uint8_t m_payload[56];
} __attribute__((aligned(8))) dvs_message_t;

/* Segment header, at offset 0 of the node segment. */
typedef struct dvs_segment_header {
    uint64_t magic;             /*   0 */
    uint32_t layout_version;    /*   8 */
    uint32_t header_size;       /*  12 */
    uint64_t segment_size;      /*  16 */
    int32_t  node_id;           /*  24 */
    int32_t  max_dcs;           /*  28 */
    int32_t  host_pid;          /*  32 */
    uint32_t ring_capacity;     /*  36 cells per inbound ring, a power of two */
    uint64_t incarnation;       /*  40 changes at every creation of the segment */
    uint32_t slot_size;         /*  48 sizeof(dvs_slot_t) */
    uint32_t dc_size;           /*  52 sizeof(dvs_dc_t) */
    uint32_t ring_header_size;  /*  56 sizeof(dvs_ring_header_t) */
    uint32_t state;             /*  60 DVS_SEGMENT_*: 0 creating, 1 ready, 2 shut down, 3 host gone */
    uint64_t dcs_offset;        /*  64 dvs_dc_t[max_dcs] */
    uint64_t host_start_time;   /*  72 host's start time (clock ticks since boot): pid reuse guard */
    char     node_name[32];     /*  80 */
    char     cluster_name[32];  /* 112 */
    uint32_t cell_size;         /* 144 sizeof(dvs_cell_t) */
    uint32_t message_size;      /* 148 sizeof(dvs_message_t) */
    uint64_t outbound_offset;   /* 152 the node's outbound ring: messages for remote endpoints */
    uint64_t proxy_offset;      /* 160 a dvs_slot_t whose doorbell wakes the proxy */
    uint64_t nodes_offset;      /* 168 dvs_node_entry_t[DVS_MAX_NODES]: what this node knows of its peers */
    uint64_t counters_offset;   /* 176 dvs_counters_t: the node host's counters */
    uint32_t outbound_capacity; /* 184 cells of the outbound ring */
    int32_t  proxy_pid;         /* 188 the process running the proxy (0: none, DVS_PROXY_FAILED: it failed) */
    char     build_info[32];    /* 192 the Dvs version of the host that made the segment (informational, NUL-terminated) */
    uint8_t  reserved[32];      /* 224 .. 256 */
} dvs_segment_header_t;

/* A distributed container as seen by this node. */
typedef struct dvs_dc {
    int32_t  dcid;              /*   0 */
    uint32_t state;             /*   4 0 not on this node, 1 running */
    int32_t  nr_procs;          /*   8 */
    int32_t  nr_tasks;          /*  12 */
    int32_t  nr_sysprocs;       /*  16 slots below this index are privileged */
    int32_t  nr_slots;          /*  20 nr_tasks + nr_procs; slot = p_nr + nr_tasks */
    uint64_t nodes;             /*  24 bitmap of the nodes the DC spans */
    uint64_t slots_offset;      /*  32 dvs_slot_t[nr_slots] */
    uint64_t rings_offset;      /*  40 one inbound ring per slot, ring_stride bytes apart */
    uint64_t ring_stride;       /*  48 */
    uint64_t notify_offset;     /*  56 per slot notify_words x uint64: pending bit per source slot */
    uint32_t notify_words;      /*  64 */
    uint32_t dir_version;       /*  68 bumped at every bind / unbind: the proxy announces changes */
    char     name[32];          /*  72 */
    uint8_t  reserved[24];      /* 104 .. 128 */
} dvs_dc_t;

/* Endpoint descriptor: one per slot of a DC. Four cache lines, grouped by who writes them. */
typedef struct dvs_slot {
    /* line 0: identity; written only by bind, unbind and reclaim */
    int32_t  endpoint;          /*   0 */
    uint32_t state;             /*   4 DVS_SLOT_* */
    int32_t  owner_pid;         /*   8 */
    int32_t  owner_node;        /*  12 */
    uint32_t epoch;             /*  16 grows by one at each committed migration */
    uint32_t flags;             /*  20 */
    uint64_t owner_start_time;  /*  24 pid reuse guard */
    char     name[16];          /*  32 */
    uint32_t bind_count;        /*  48 how many times the slot was bound */
    int32_t  p_nr;              /*  52 */
    uint32_t copies;            /*  56 local vcopies touching this endpoint's memory now (a migration waits for 0) */
    uint8_t  reserved0[4];      /*  60 */
    /* line 1: the owner's doorbell; producers read sleeping and bump seq */
    uint32_t wake_seq;          /*  64 futex word */
    uint32_t sleeping;          /*  68 threads of the owner asleep on wake_seq */
    uint64_t notify_summary;    /*  72 bit w: notify word w may be non-zero */
    uint32_t wake_pending;      /*  80 1: a waker bumped wake_seq since the last sleeper armed it */
    uint32_t hold;              /*  84 1: the owner waits for one source (hold_for) with its set-aside
                                 *     queue full; other local senders hold back as if the ring were full */
    int32_t  hold_for;          /*  88 the source it waits for; DVS_ANY: requests (sendrec) pass */
    uint8_t  reserved1[36];     /*  92 */
    /* line 2: reply hand-off and counters */
    uint64_t reply_word;        /* 128 DVS_REPLY_* state | seq | from */
    uint64_t sent;              /* 136 messages sent (owner writes) */
    uint64_t received;          /* 144 messages received (owner writes) */
    uint64_t replies;           /* 152 replies received (owner writes) */
    uint8_t  reserved2[32];     /* 160 */
    /* line 3: the reply message itself */
    dvs_message_t reply;        /* 192 */
} dvs_slot_t;

/* Inbound MPSC ring header (Vyukov bounded queue: a sequence per cell, producers claim by CAS). */
typedef struct dvs_ring_header {
    uint64_t tail;              /*   0 next position to claim (producers) */
    uint8_t  pad0[56];
    uint64_t head;              /*  64 next position to consume (the owner only) */
    uint8_t  pad1[56];
    uint32_t space_seq;         /* 128 futex word: bumped when a full ring drains */
    uint32_t space_waiters;     /* 132 producers asleep waiting for space */
    uint64_t full_count;        /* 136 offers refused because the ring was full */
    uint32_t space_pending;     /* 144 1: the consumer bumped space_seq since the last waiter armed it */
    uint32_t proxy_waiting;     /* 148 1: the node proxy holds messages for this ring (its overflow
                                 *     queue); the consumer rings the proxy when the ring is down to 1/8 */
    uint8_t  pad2[40];          /* 152 .. 192 */
} dvs_ring_header_t;

/* One ring cell: the sequence, meta and claim stamp on the first line, the message on the second.
 * The claim stamp names the producer that claimed the cell and the position it claimed it for, so
 * the node host's reaper can tell a cell whose producer died before publishing it from one being
 * written (dvs_ring_unblock). */
typedef struct dvs_cell {
    uint64_t seq;               /*   0 */
    int32_t  meta;              /*   8 kind | request seq << 8 */
    int32_t  claim_pid;         /*  12 the claiming producer's pid; DVS_CLAIM_UNBLOCKED: skip the cell */
    uint64_t aux;               /*  16 outbound ring: destination endpoint | dcid << 32 */
    uint64_t claim_pos;         /*  24 the position the cell was claimed for */
    uint64_t claim_start;       /*  32 the claimer's start time (pid reuse guard) */
    uint8_t  pad[24];           /*  40 */
    dvs_message_t message;      /*  64 */
} dvs_cell_t;

/* claim_pid of a cell the reaper published in place of a dead producer: consumers drop it. */
#define DVS_CLAIM_UNBLOCKED    (-1)

/* What this node knows of one peer node (written by the node host's proxy). */
typedef struct dvs_node_entry {
    uint32_t state;             /*   0 DVS_NODE_* */
    int32_t  node_id;           /*   4 */
    uint64_t incarnation;       /*   8 the peer's incarnation as last heard */
    uint64_t rtt_ns;            /*  16 smoothed round-trip time */
    uint64_t retransmissions;   /*  24 */
    char     name[32];          /*  32 */
} dvs_node_entry_t;

/* The node host's counters: a flat array, indexes defined by the managed NodeCounter enum. */
typedef struct dvs_counters {
    uint64_t values[DVS_COUNTERS];
} dvs_counters_t;

/* ---------------------------------------------------------------- configuration */

typedef struct dvs_dc_config {
    int32_t  dcid;
    int32_t  nr_procs;
    int32_t  nr_tasks;
    int32_t  nr_sysprocs;
    uint64_t nodes;
    char     name[32];
} dvs_dc_config_t;

typedef struct dvs_node_config {
    int32_t  node_id;
    uint32_t ring_capacity;     /* power of two, 2..65536 */
    int32_t  dc_count;
    int32_t  reserved;
    const dvs_dc_config_t *dcs;
    char     node_name[32];
    char     cluster_name[32];
    uint64_t incarnation;       /* the segment's; 0: the wall clock in ns */
} dvs_node_config_t;

/* ---------------------------------------------------------------- calls */

/* Per-thread error of the last failed call (0 / "" when none). */
DVS_API int dvs_errcode(void);
DVS_API const char *dvs_errmsg(void);

/* Creates (O_EXCL) the POSIX shared memory object `name` (leading '/'), mode 0600, lays out the
 * segment for `cfg` and maps it. */
DVS_API int dvs_segment_create(const char *name, const dvs_node_config_t *cfg, void **base_out,
                               uint64_t *size_out);
/* Opens and maps an existing segment, checking magic, layout version and struct sizes. */
DVS_API int dvs_segment_open(const char *name, void **base_out, uint64_t *size_out);
DVS_API int dvs_segment_close(void *base, uint64_t size);
DVS_API int dvs_segment_unlink(const char *name);
/* Bytes a segment for `cfg` takes (0 with an error when cfg is invalid). */
DVS_API uint64_t dvs_segment_size(const dvs_node_config_t *cfg);

/* Ring: hot path, no syscall unless the other side sleeps. Return DVS_OK or EDVSAGAIN.
 * offer: publishes with a full barrier, then wakes the owner if it sleeps on `bell`. */
DVS_API int dvs_ring_offer(dvs_ring_header_t *ring, uint32_t capacity, const dvs_message_t *msg,
                           int32_t meta, dvs_slot_t *owner);
/* offer with the cell's aux word (the outbound ring's routing: destination | dcid << 32). */
DVS_API int dvs_ring_offer_aux(dvs_ring_header_t *ring, uint32_t capacity, const dvs_message_t *msg,
                               int32_t meta, uint64_t aux, dvs_slot_t *owner);
/* poll: single consumer. Wakes producers that sleep waiting for space. */
DVS_API int dvs_ring_poll(dvs_ring_header_t *ring, uint32_t capacity, dvs_message_t *out,
                          int32_t *meta_out);
DVS_API int dvs_ring_poll_aux(dvs_ring_header_t *ring, uint32_t capacity, dvs_message_t *out,
                              int32_t *meta_out, uint64_t *aux_out);
/* One message taken by dvs_ring_poll_many. */
typedef struct dvs_polled {
    dvs_message_t message;      /*   0 */
    int32_t  meta;              /*  64 */
    int32_t  pad0;              /*  68 */
    uint64_t aux;               /*  72 */
} dvs_polled_t;

/* poll of up to max messages at once (single consumer): frees their cells, publishes the head
 * once, and wakes producers waiting for space once, and only when at most half the ring is still
 * full (hysteresis: a producer woken per freed cell would refill one cell and sleep again).
 * Returns how many were taken (0: empty). */
DVS_API uint32_t dvs_ring_poll_many(dvs_ring_header_t *ring, uint32_t capacity, dvs_polled_t *out,
                                    uint32_t max);
/* Offer of up to n messages at once (any producer): claims the longest run of free cells at the
 * tail with one CAS, writes them in order, publishes them with one fence and wakes the owner at
 * most once. Returns how many went in (0: full); the caller keeps the rest. */
DVS_API uint32_t dvs_ring_offer_many(dvs_ring_header_t *ring, uint32_t capacity, const dvs_polled_t *in,
                                     uint32_t n, dvs_slot_t *owner);
/* Unblocks cells claimed by producers that died before publishing them (after aeron's
 * ManyToOneRingBuffer.unblock, but only for a claimer known dead, never on a timeout): when the cell
 * at the head is claimed and unpublished, walks from the head towards the tail and publishes every
 * such cell whose claim stamp names a dead process as a skip cell, which consumers free without
 * returning it; stops at the first claim of a live (or unknown) producer. Wakes `owner` when it
 * unblocked any. Off the hot path (reads /proc for a claimer's liveness); any thread or process,
 * concurrently with producers and the consumer. Returns how many cells it unblocked. */
DVS_API uint32_t dvs_ring_unblock(dvs_ring_header_t *ring, uint32_t capacity, dvs_slot_t *owner);
/* Test hook: claims the next cell exactly as an offer does and returns without publishing it, what
 * a producer killed between the two leaves behind. DVS_OK or EDVSAGAIN (full). */
DVS_API int dvs_ring_test_claim(dvs_ring_header_t *ring, uint32_t capacity);
/* Resets an empty ring for a new owner. Not safe against concurrent producers. */
DVS_API void dvs_ring_reset(dvs_ring_header_t *ring, uint32_t capacity);
/* Messages currently queued (approximate while producers run). */
DVS_API uint32_t dvs_ring_count(const dvs_ring_header_t *ring);

/* Wakes the owner of `slot` if it sleeps on its doorbell (a full barrier first), at most once
 * per sleep: a sleeper clears wake_pending before it raises `sleeping`; the first waker to set it
 * makes the syscall, later ones see it set and return (no futex call per message while the owner
 * is woken but not yet running). Producers waiting for space use space_pending the same way. */
DVS_API void dvs_doorbell_ring(dvs_slot_t *slot);

/* Futex on a shared (not process-private) word. timeout_ms < 0: forever.
 * Returns 0 when woken or the word differs, EDVSTIMEDOUT on timeout. */
DVS_API int dvs_futex_wait(uint32_t *word, uint32_t expected, int32_t timeout_ms);
DVS_API int dvs_futex_wake(uint32_t *word, int32_t count);

/* Process liveness: 1 alive, 0 dead, gone or a zombie, or another process with the same pid
 * (start_time differs; 0 skips that check). */
DVS_API int dvs_pid_alive(int32_t pid, uint64_t start_time);
/* Start time (clock ticks since boot) of a process, 0 if unknown. */
DVS_API uint64_t dvs_pid_start_time(int32_t pid);
DVS_API int32_t dvs_getpid(void);
DVS_API int32_t dvs_gettid(void);

/* Bulk copy between two processes' memory (process_vm_readv / writev; through a bounce buffer when
 * neither is the caller). Returns 0, or -1 with the errno in dvs_errcode. */
DVS_API int dvs_vcopy(int32_t src_pid, uint64_t src_addr, int32_t dst_pid, uint64_t dst_addr,
                      uint64_t bytes);

/* Pins the calling thread to one CPU. */
DVS_API int dvs_pin_thread(int32_t cpu);

/* Reads a small regular file (a node ini file, a key file) into buf without blocking on what is
 * not one: a FIFO, a device or a socket is refused (EDVSBADFILE), so is a file of more than
 * capacity bytes (EDVSBADVALUE). Sets *length to the bytes read. Returns 0, or -1 (dvs_errcode). */
DVS_API int dvs_read_regular_file(const char *path, uint8_t *buf, uint64_t capacity, uint64_t *length);

/* Layout self-description, for the test that C and C# agree: one entry per field. */
typedef struct dvs_layout_field {
    const char *type_name;
    const char *field_name;
    uint32_t offset;
    uint32_t size;
} dvs_layout_field_t;
DVS_API int dvs_layout_fields(const dvs_layout_field_t **fields_out);

#ifdef __cplusplus
}
#endif
#endif /* DVS_DVS_H */
