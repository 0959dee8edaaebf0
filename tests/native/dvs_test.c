/* The harness behind dvs_test.h: registry, main, failure reporting and segment clean-up. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "dvs_test.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DVS_TEST_MAX_CASES 128
#define DVS_TEST_MAX_SEGMENTS 32

static struct {
    const char *name;
    dvs_test_fn fn;
} g_cases[DVS_TEST_MAX_CASES];
static int g_case_count;

static char g_segments[DVS_TEST_MAX_SEGMENTS][64];
static int g_segment_count;
static pid_t g_main_pid;

void dvs_test_register(const char *name, dvs_test_fn fn)
{
    if (g_case_count == DVS_TEST_MAX_CASES) {
        fprintf(stderr, "dvs_test: more than %d cases\n", DVS_TEST_MAX_CASES);
        exit(2);
    }
    g_cases[g_case_count].name = name;
    g_cases[g_case_count].fn = fn;
    g_case_count++;
}

static void unlink_segments(void)
{
    /* Only the test process owns the names; a forked child exiting must not remove them. */
    if (getpid() != g_main_pid)
        return;
    for (int i = 0; i < g_segment_count; i++)
        shm_unlink(g_segments[i]);
}

const char *dvs_test_segment_name(const char *tag)
{
    if (g_segment_count == DVS_TEST_MAX_SEGMENTS)
        dvs_test_fail(__FILE__, __LINE__, "too many segment names");
    char *name = g_segments[g_segment_count];
    snprintf(name, sizeof g_segments[0], "/dvs-test-%d-%d-%s", (int)getpid(), g_segment_count,
             tag);
    g_segment_count++;
    return name;
}

const char *dvs_test_last_error(void)
{
    static __thread char buf[512];
    snprintf(buf, sizeof buf, "dvs_errcode=%d dvs_errmsg=\"%s\"", dvs_errcode(),
             dvs_errmsg() ? dvs_errmsg() : "(null)");
    return buf;
}

void dvs_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: FAILED: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fflush(stderr);
    exit(1); /* atexit removes the segments (in the test process only) */
}

int main(int argc, char **argv)
{
    g_main_pid = getpid();
    atexit(unlink_segments);
    setvbuf(stdout, NULL, _IONBF, 0);

    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (int i = 0; i < g_case_count; i++)
            printf("%s\n", g_cases[i].name);
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: %s <case> | --list\n", argv[0]);
        return 2;
    }
    for (int i = 0; i < g_case_count; i++) {
        if (strcmp(g_cases[i].name, argv[1]) == 0) {
            g_cases[i].fn();
            printf("%s: ok\n", argv[1]);
            return 0;
        }
    }
    fprintf(stderr, "%s: no case named '%s'\n", argv[0], argv[1]);
    return 2;
}

void dvs_test_wait_until_blocked(int tid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", tid);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        FILE *f = fopen(path, "r");
        if (f == NULL)
            dvs_test_fail(__FILE__, __LINE__, "cannot read %s", path);
        char buf[512];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        /* "pid (comm) S ...": comm may contain spaces and parentheses, the last ')' ends it */
        const char *paren = strrchr(buf, ')');
        if (paren != NULL && paren[1] == ' ' && (paren[2] == 'S' || paren[2] == 'D'))
            return;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec > 10)
            dvs_test_fail(__FILE__, __LINE__, "%d never blocked within 10 s (stat: %s)", tid, buf);
        sched_yield();
    }
}

int dvs_test_join_child(int pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            dvs_test_fail(__FILE__, __LINE__, "waitpid(%d): %s", pid, strerror(errno));
    }
    if (WIFSIGNALED(status))
        dvs_test_fail(__FILE__, __LINE__, "child %d killed by signal %d", pid, WTERMSIG(status));
    return WEXITSTATUS(status);
}

uint8_t dvs_test_pattern(uint64_t i, uint32_t seed)
{
    uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ULL ^ ((uint64_t)seed << 17);
    return (uint8_t)(x >> 56);
}
