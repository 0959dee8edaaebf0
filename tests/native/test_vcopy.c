/* dvs_vcopy: bulk copies between processes (child -> parent, parent -> child, child -> child). */
#include "dvs_test.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* 1 MiB plus an odd tail, at odd offsets: chunking and alignment bugs both show. */
#define COPY_LEN ((size_t)(1u << 20) + 4099)
#define SRC_OFF 3
#define DST_OFF 5
#define AREA ((size_t)(2u << 20))
#define GUARD 0xEE

typedef struct peer {
    pid_t pid;
    int go_fd;
} peer_t;

/* Write ends of the "go" pipes of running peers: a later peer must close them, or an earlier
 * peer would never see end-of-file when the parent releases it. */
static int g_go_fds[8];
static int g_go_count;

static uint8_t *area(void)
{
    uint8_t *p = mmap(NULL, AREA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    memset(p, GUARD, AREA);
    return p;
}

static void fill(uint8_t *p, size_t len, uint32_t seed)
{
    for (size_t i = 0; i < len; i++)
        p[i] = dvs_test_pattern(i, seed);
}

/* 0 when p[0..len) holds the pattern of `seed` and the bytes around it are untouched. */
static int check_pattern(const uint8_t *p, size_t len, uint32_t seed)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != dvs_test_pattern(i, seed))
            return 1;
    return p[-1] == GUARD && p[len] == GUARD ? 0 : 2;
}

/* Forks a child whose copy of `buf` holds the pattern of `fill_seed` (0: guard bytes only). When
 * released it checks that `buf` then holds the pattern of `expect_seed` (0: no check) and exits
 * with 0 when it does. */
static peer_t start_peer(uint8_t *buf, uint32_t fill_seed, uint32_t expect_seed)
{
    int ready[2], go[2];
    CHECK(pipe(ready) == 0 && pipe(go) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        close(go[1]);
        for (int i = 0; i < g_go_count; i++)
            close(g_go_fds[i]);
        if (fill_seed != 0)
            fill(buf, COPY_LEN, fill_seed);
        char c = 'r';
        if (write(ready[1], &c, 1) != 1)
            _exit(20);
        while (read(go[0], &c, 1) > 0) {
        }
        _exit(expect_seed == 0 ? 0 : 10 + check_pattern(buf, COPY_LEN, expect_seed));
    }
    close(ready[1]);
    close(go[0]);
    char c;
    CHECK_MSG(read(ready[0], &c, 1) == 1, "peer %d did not get ready", (int)pid);
    close(ready[0]);
    g_go_fds[g_go_count++] = go[1];
    return (peer_t){pid, go[1]};
}

static int finish_peer(peer_t p)
{
    close(p.go_fd);
    return dvs_test_join_child(p.pid);
}

DVS_TEST(copies_1MiB_from_a_child_to_the_parent)
{
    uint8_t *src = area(), *dst = area();
    peer_t child = start_peer(src + SRC_OFF, 1, 0);
    CHECK_OK(dvs_vcopy(child.pid, (uint64_t)(uintptr_t)(src + SRC_OFF), getpid(),
                       (uint64_t)(uintptr_t)(dst + DST_OFF), COPY_LEN));
    CHECK_MSG(check_pattern(dst + DST_OFF, COPY_LEN, 1) == 0,
              "the parent's buffer does not hold the child's bytes");
    CHECK_MSG(src[SRC_OFF] == GUARD, "precondition: the parent's own source was untouched");
    CHECK_EQ(0, finish_peer(child));
}

DVS_TEST(copies_1MiB_from_the_parent_into_a_child)
{
    uint8_t *src = area(), *dst = area();
    peer_t child = start_peer(dst + DST_OFF, 0, 2);
    fill(src + SRC_OFF, COPY_LEN, 2);
    CHECK_OK(dvs_vcopy(getpid(), (uint64_t)(uintptr_t)(src + SRC_OFF), child.pid,
                       (uint64_t)(uintptr_t)(dst + DST_OFF), COPY_LEN));
    int status = finish_peer(child);
    CHECK_MSG(status == 10, "child's check exited %d (11: bytes differ, 12: wrote past the range)",
              status);
}

/* Neither end is the caller: the shim copies through a buffer of its own. */
DVS_TEST(copies_1MiB_between_two_other_processes)
{
    uint8_t *buf = area();
    peer_t a = start_peer(buf + SRC_OFF, 3, 0);
    peer_t b = start_peer(buf + DST_OFF, 0, 3);
    CHECK_OK(dvs_vcopy(a.pid, (uint64_t)(uintptr_t)(buf + SRC_OFF), b.pid,
                       (uint64_t)(uintptr_t)(buf + DST_OFF), COPY_LEN));
    CHECK_EQ(0, finish_peer(a));
    int status = finish_peer(b);
    CHECK_MSG(status == 10, "receiver's check exited %d (11: bytes differ, 12: wrote past the range)",
              status);
}

DVS_TEST(copies_within_the_caller)
{
    uint8_t *src = area(), *dst = area();
    fill(src + SRC_OFF, COPY_LEN, 4);
    CHECK_OK(dvs_vcopy(getpid(), (uint64_t)(uintptr_t)(src + SRC_OFF), getpid(),
                       (uint64_t)(uintptr_t)(dst + DST_OFF), COPY_LEN));
    CHECK_EQ(0, check_pattern(dst + DST_OFF, COPY_LEN, 4));
}

DVS_TEST(a_zero_byte_copy_succeeds)
{
    uint8_t *src = area(), *dst = area();
    CHECK_OK(dvs_vcopy(getpid(), (uint64_t)(uintptr_t)src, getpid(), (uint64_t)(uintptr_t)dst, 0));
    CHECK_EQ(GUARD, dst[0]);
}

DVS_TEST(a_copy_from_a_dead_process_fails)
{
    uint8_t *src = area(), *dst = area();
    peer_t child = start_peer(src, 5, 0);
    CHECK_EQ(0, finish_peer(child));
    int rc = dvs_vcopy(child.pid, (uint64_t)(uintptr_t)src, getpid(), (uint64_t)(uintptr_t)dst,
                       4096);
    CHECK_EQ(-1, rc);
    CHECK_MSG(dvs_errcode() == ESRCH, "dvs_errcode %d, want ESRCH", dvs_errcode());
    CHECK(dvs_errmsg() != NULL && dvs_errmsg()[0] != '\0');
    CHECK_EQ(GUARD, dst[0]);
}

DVS_TEST(a_copy_to_an_unmapped_address_fails)
{
    uint8_t *src = area();
    fill(src, 4096, 6);
    peer_t child = start_peer(src, 0, 0);
    int rc = dvs_vcopy(getpid(), (uint64_t)(uintptr_t)src, child.pid, 4096, 4096);
    CHECK_EQ(-1, rc);
    CHECK_MSG(dvs_errcode() == EFAULT, "dvs_errcode %d, want EFAULT", dvs_errcode());
    CHECK_EQ(0, finish_peer(child));
}
