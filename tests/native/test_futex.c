/* Futex wait / wake on shared words, between threads and between processes. */
#include "dvs_test.h"

#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

DVS_TEST(wait_times_out_when_nobody_wakes)
{
    uint32_t word = 5;
    CHECK_EQ(EDVSTIMEDOUT, dvs_futex_wait(&word, 5, 20));
    CHECK_EQ(EDVSTIMEDOUT, dvs_futex_wait(&word, 5, 1));
    CHECK_EQ(5, word);
}

DVS_TEST(wait_returns_at_once_when_the_word_differs)
{
    uint32_t word = 5;
    /* a 20 s timeout: returning 0 here can only mean the value check, not a wake or timeout */
    CHECK_EQ(0, dvs_futex_wait(&word, 4, 20000));
    CHECK_EQ(0, dvs_futex_wait(&word, 6, -1));
}

DVS_TEST(wait_with_zero_timeout_does_not_block)
{
    uint32_t word = 1;
    int rc = dvs_futex_wait(&word, 1, 0);
    CHECK_MSG(rc == EDVSTIMEDOUT || rc == 0, "wait with timeout 0 returned %d", rc);
}

DVS_TEST(wake_without_waiters_is_harmless)
{
    uint32_t word = 0;
    CHECK(dvs_futex_wake(&word, 1) >= 0);
    CHECK(dvs_futex_wake(&word, 1 << 30) >= 0);
}

typedef struct waiter {
    uint32_t *word;
    int32_t timeout_ms;
    volatile int tid;
    int rc;
} waiter_t;

static void *wait_thread(void *p)
{
    waiter_t *w = p;
    __atomic_store_n(&w->tid, (int)syscall(SYS_gettid), __ATOMIC_RELEASE);
    w->rc = dvs_futex_wait(w->word, 0, w->timeout_ms);
    return NULL;
}

static int wait_for_tid(volatile int *tid)
{
    int t;
    while ((t = __atomic_load_n(tid, __ATOMIC_ACQUIRE)) == 0)
        sched_yield();
    return t;
}

/* Wakes `waiters` threads asleep on one word, `timeout_ms` < 0 meaning forever. */
static void wake_threads(int waiters, int32_t timeout_ms)
{
    uint32_t word = 0;
    waiter_t w[4];
    pthread_t t[4];
    for (int i = 0; i < waiters; i++) {
        w[i] = (waiter_t){&word, timeout_ms, 0, 99};
        CHECK_EQ(0, pthread_create(&t[i], NULL, wait_thread, &w[i]));
    }
    for (int i = 0; i < waiters; i++)
        dvs_test_wait_until_blocked(wait_for_tid(&w[i].tid));
    __atomic_store_n(&word, 1, __ATOMIC_SEQ_CST);
    int woken = dvs_futex_wake(&word, waiters);
    CHECK_MSG(woken >= 0, "dvs_futex_wake returned %d", woken);
    for (int i = 0; i < waiters; i++) {
        CHECK_EQ(0, pthread_join(t[i], NULL));
        CHECK_MSG(w[i].rc == 0, "waiter %d: dvs_futex_wait returned %d, want 0 (woken)", i,
                  w[i].rc);
    }
}

DVS_TEST(wake_wakes_a_thread_waiting_forever)
{
    wake_threads(1, -1); /* a lost wake hangs here; ctest's timeout reports it */
}

DVS_TEST(wake_wakes_every_waiter_it_is_asked_to)
{
    wake_threads(3, 20000);
}

/* The word lives in memory shared across fork: the futex must be a shared, not private, one. */
DVS_TEST(wake_crosses_processes)
{
    uint32_t *word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(word != MAP_FAILED);
    *word = 0;
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        int rc = dvs_futex_wait(word, 0, 20000);
        _exit(rc == 0 ? 0 : rc == EDVSTIMEDOUT ? 3 : 4);
    }
    dvs_test_wait_until_blocked(child);
    __atomic_store_n(word, 1, __ATOMIC_SEQ_CST);
    CHECK(dvs_futex_wake(word, 1) >= 0);
    int status = dvs_test_join_child(child);
    CHECK_MSG(status == 0, "child's wait ended with status %d (3: timed out, never woken)", status);
    munmap(word, 4096);
}
