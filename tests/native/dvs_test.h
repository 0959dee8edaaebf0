/*
 * A tiny test harness for the C tests of libdvsshim.
 *
 * Each test is a function declared with DVS_TEST(name). CMake reads those lines from the source
 * and registers one ctest test per function ("<file>.<name>"), run as `<exe> <name>`, so every
 * case is its own process (fork-based tests stay independent, a crash fails one case only) and
 * the list of tests is written in one place. A failed check prints where and why, removes the
 * shared memory objects the test registered, and exits with status 1.
 */
#ifndef DVS_TEST_H
#define DVS_TEST_H

#include <stdint.h>
#include <stdio.h>

#include <dvs/dvs.h>

typedef void (*dvs_test_fn)(void);

void dvs_test_register(const char *name, dvs_test_fn fn);
void dvs_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

/* A fresh segment name "/dvs-test-<pid>-<n>-<tag>", unlinked at exit even when a check fails. */
const char *dvs_test_segment_name(const char *tag);
/* The dvs_errcode and dvs_errmsg of the last shim call, for failure messages. */
const char *dvs_test_last_error(void);
/* Waits (yielding, at most 10 s) until thread or process `tid` is blocked in the kernel: the way
 * to know a waiter really sleeps before waking it, without sleeping as synchronization. */
void dvs_test_wait_until_blocked(int tid);
/* Waits for a forked child and returns its exit status; a child killed by a signal fails. */
int dvs_test_join_child(int pid);
/* A deterministic byte pattern, so copies can be checked byte by byte. */
uint8_t dvs_test_pattern(uint64_t i, uint32_t seed);

#define DVS_TEST(name)                                                                  \
    static void dvs_test_##name(void);                                                  \
    __attribute__((constructor)) static void dvs_test_register_##name(void)             \
    {                                                                                   \
        dvs_test_register(#name, dvs_test_##name);                                      \
    }                                                                                   \
    static void dvs_test_##name(void)

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (!(cond))                                                                    \
            dvs_test_fail(__FILE__, __LINE__, "CHECK(%s) (last shim error: %s)", #cond, \
                          dvs_test_last_error());                                       \
    } while (0)

#define CHECK_MSG(cond, ...)                                                            \
    do {                                                                                \
        if (!(cond))                                                                    \
            dvs_test_fail(__FILE__, __LINE__, __VA_ARGS__);                             \
    } while (0)

#define CHECK_EQ(expected, actual)                                                      \
    do {                                                                                \
        long long dvs_e_ = (long long)(expected), dvs_a_ = (long long)(actual);         \
        if (dvs_e_ != dvs_a_)                                                           \
            dvs_test_fail(__FILE__, __LINE__,                                           \
                          "CHECK_EQ(%s, %s): expected %lld, got %lld (last shim error: %s)", \
                          #expected, #actual, dvs_e_, dvs_a_, dvs_test_last_error());   \
    } while (0)

/* A shim call that must succeed (return 0). */
#define CHECK_OK(call)                                                                  \
    do {                                                                                \
        int dvs_rc_ = (int)(call);                                                      \
        if (dvs_rc_ != 0)                                                               \
            dvs_test_fail(__FILE__, __LINE__, "%s returned %d: %s", #call, dvs_rc_,     \
                          dvs_test_last_error());                                       \
    } while (0)

#endif /* DVS_TEST_H */
