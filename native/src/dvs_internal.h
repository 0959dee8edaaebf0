/* Internal helpers of the shim: per-thread error, atomics. Not installed. */
#ifndef DVS_INTERNAL_H
#define DVS_INTERNAL_H
#include "dvs/dvs.h"
#include <stdatomic.h>

int dvs_set_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dvs_clear_error(void);

struct mmsghdr;
struct iovec;
/* Waits up to timeout_ms for fd to be readable, then recvmmsg of up to n datagrams into slots of
 * buf (source addresses into names, name_size bytes each). Returns the count, 0 when nothing came
 * (or errno was EAGAIN or quiet_errno), -1 with the error set. */
int dvs_recv_slots(intptr_t fd, uint8_t *buf, uint32_t slot_size, int n, void *names, unsigned int name_size,
                   struct mmsghdr *msgs, struct iovec *iovs, int32_t timeout_ms, int quiet_errno, const char *what);

/* The calling process as producers stamp it into the cells they claim (dvs_os.c: read once at load
 * and again in a forked child, so an offer makes no syscall for it). */
typedef struct dvs_self {
    int32_t  pid;
    uint64_t start_time;
} dvs_self_t;
extern dvs_self_t dvs_self;

/* Memory ordering only through these (after AERON_GET_VOLATILE / AERON_PUT_ORDERED). */
#define DVS_LOAD_ACQUIRE(p)      atomic_load_explicit((_Atomic __typeof__(*(p)) *)(p), memory_order_acquire)
/* seq_cst load after a seq_cst store: the Dekker pair of the wake-up protocol (also on arm64) */
#define DVS_LOAD_SEQCST(p)       atomic_load_explicit((_Atomic __typeof__(*(p)) *)(p), memory_order_seq_cst)
#define DVS_LOAD_RELAXED(p)      atomic_load_explicit((_Atomic __typeof__(*(p)) *)(p), memory_order_relaxed)
#define DVS_STORE_RELEASE(p, v)  atomic_store_explicit((_Atomic __typeof__(*(p)) *)(p), (v), memory_order_release)
#define DVS_STORE_RELAXED(p, v)  atomic_store_explicit((_Atomic __typeof__(*(p)) *)(p), (v), memory_order_relaxed)
#define DVS_STORE_SEQCST(p, v)   atomic_store_explicit((_Atomic __typeof__(*(p)) *)(p), (v), memory_order_seq_cst)
#define DVS_FETCH_ADD(p, v)      atomic_fetch_add_explicit((_Atomic __typeof__(*(p)) *)(p), (v), memory_order_seq_cst)
#define DVS_EXCHANGE(p, v)       atomic_exchange_explicit((_Atomic __typeof__(*(p)) *)(p), (v), memory_order_seq_cst)
#define DVS_CAS_STRONG(p, expp, v) atomic_compare_exchange_strong_explicit((_Atomic __typeof__(*(p)) *)(p), (expp), (v), memory_order_seq_cst, memory_order_relaxed)
#define DVS_CAS(p, expp, v)      atomic_compare_exchange_weak_explicit((_Atomic __typeof__(*(p)) *)(p), (expp), (v), memory_order_seq_cst, memory_order_relaxed)
#endif
