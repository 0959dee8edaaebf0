/*
 * The C floor of the Dvs benchmarks (see FLOOR.md of the project).
 *
 * A region in POSIX shared memory holds two things, each measured against its Dvs counterpart:
 *  - a ping-pong: one 64-byte request slot and one 64-byte reply slot, each followed by its own
 *    cache line holding a sequence word; both sides spin on the sequence (no pause, no syscall);
 *  - a one-way SPSC ring of DVS_FLOOR_RING_SLOTS x 64-byte slots, head and tail on their own lines.
 *
 * The partner (dvs-floor echo|sink) creates the region and prints "ready"; the benchmark process
 * then attaches (which unlinks the name: it is only a rendezvous, so nothing leaks in /dev/shm
 * even when both processes are killed) and runs the client half here, in C, so that the time per
 * operation is the pure C round trip.
 *
 * Calls return 0 on success, -1 with errno set on failure. Nothing prints or aborts.
 * Thread-safety: one client thread per region.
 */
#ifndef DVS_FLOOR_H
#define DVS_FLOOR_H

#include <stdint.h>

#if defined(DVS_FLOOR_BUILDING)
#define DVS_FLOOR_API __attribute__((visibility("default")))
#else
#define DVS_FLOOR_API
#endif

#define DVS_FLOOR_MAGIC       0x524f4f4c46535644ULL /* "DVSFLOOR" */
#define DVS_FLOOR_LINE        64
#define DVS_FLOOR_RING_SLOTS  4096u
/* Written into ping_seq and ring_head to make the partner exit. */
#define DVS_FLOOR_STOP        UINT64_MAX

typedef struct dvs_floor_region
{
    _Alignas(DVS_FLOOR_LINE) uint64_t magic;
    uint64_t size;
    _Alignas(DVS_FLOOR_LINE) unsigned char request[DVS_FLOOR_LINE];
    _Alignas(DVS_FLOOR_LINE) uint64_t ping_seq;   /* client -> echo, release/acquire */
    _Alignas(DVS_FLOOR_LINE) unsigned char reply[DVS_FLOOR_LINE];
    _Alignas(DVS_FLOOR_LINE) uint64_t pong_seq;   /* echo -> client */
    _Alignas(DVS_FLOOR_LINE) uint64_t ring_head;  /* producer publishes */
    _Alignas(DVS_FLOOR_LINE) uint64_t ring_tail;  /* consumer publishes */
    _Alignas(DVS_FLOOR_LINE) unsigned char ring[DVS_FLOOR_RING_SLOTS][DVS_FLOOR_LINE];
} dvs_floor_region_t;

/* Partner side: create the region under name (shm_open, mode 0600). */
DVS_FLOOR_API int dvs_floor_create(const char *name, dvs_floor_region_t **out);
/* Client side: map an existing region and unlink its name. */
DVS_FLOOR_API int dvs_floor_attach(const char *name, dvs_floor_region_t **out);
/* Client side: tell the partner to exit, then unmap. */
DVS_FLOOR_API int dvs_floor_detach(dvs_floor_region_t *region);

/* N round trips: write a 64-byte request, publish its sequence, spin until the echo publishes
 * the same sequence, read the reply (checked to carry the request's sequence; EPROTO if not). */
DVS_FLOOR_API int dvs_floor_pingpong(dvs_floor_region_t *region, int64_t iterations);
/* N one-way messages into the ring, publishing the head every `batch` messages; returns once
 * the consumer has taken all of them, so the time covers both ends. */
DVS_FLOOR_API int dvs_floor_spsc_send(dvs_floor_region_t *region, int64_t messages, int32_t batch);

/* Partner loops: return 0 when the client writes DVS_FLOOR_STOP, -1 (EPROTO) on a bad message. */
DVS_FLOOR_API int dvs_floor_echo(dvs_floor_region_t *region);
DVS_FLOOR_API int dvs_floor_sink(dvs_floor_region_t *region);

/* Pin the calling thread to one CPU (sched_setaffinity of the thread, not the process). */
DVS_FLOOR_API int dvs_floor_pin_thread(int32_t cpu);

#endif
