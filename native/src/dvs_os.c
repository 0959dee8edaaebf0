/* Kernel calls the managed side must not make itself: futex on shared words, process liveness
 * with a pid-reuse guard, cross-process copies, CPU affinity. */
#include "dvs_internal.h"
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

int dvs_futex_wait(uint32_t *word, uint32_t expected, int32_t timeout_ms)
{
    struct timespec ts, *pts = NULL;
    if (timeout_ms >= 0) {
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
        pts = &ts;
    }
    /* not FUTEX_PRIVATE: the word lives in memory shared between processes */
    long rc = syscall(SYS_futex, word, FUTEX_WAIT, expected, pts, NULL, 0);
    if (rc == -1 && errno == ETIMEDOUT) return EDVSTIMEDOUT;
    return 0; /* woken, value changed (EAGAIN) or interrupted: the caller re-checks */
}

int dvs_futex_wake(uint32_t *word, int32_t count)
{
    long rc = syscall(SYS_futex, word, FUTEX_WAKE, count, NULL, NULL, 0);
    return rc < 0 ? dvs_set_error(EDVSINVAL, "futex wake: %s", strerror(errno)) : (int)rc;
}

/* Reads field 3 (state) and 22 (starttime) of /proc/<pid>/stat. Returns 0 when unreadable. */
static int dvs_read_stat(int32_t pid, char *state, uint64_t *start_time)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "re");
    if (f == NULL) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* comm may contain spaces and parentheses: parse after the last ')' */
    char *p = strrchr(buf, ')');
    if (p == NULL || p[1] == '\0') return 0;
    p += 2;
    *state = *p;
    /* fields after state: ppid(4) ... starttime(22) => skip 19 fields */
    for (int field = 3; field < 22 && p != NULL; field++) {
        p = strchr(p, ' ');
        if (p != NULL) p++;
    }
    *start_time = p != NULL ? strtoull(p, NULL, 10) : 0;
    return 1;
}

uint64_t dvs_pid_start_time(int32_t pid)
{
    char state;
    uint64_t start = 0;
    return dvs_read_stat(pid, &state, &start) ? start : 0;
}

int dvs_pid_alive(int32_t pid, uint64_t start_time)
{
    if (pid <= 0) return 0;
    char state;
    uint64_t start = 0;
    if (!dvs_read_stat(pid, &state, &start)) return 0;
    if (state == 'Z' || state == 'X' || state == 'x') return 0;
    if (start_time != 0 && start != start_time) return 0;
    return 1;
}

dvs_self_t dvs_self;

static void dvs_self_init(void)
{
    dvs_self.pid = (int32_t)getpid();
    dvs_self.start_time = dvs_pid_start_time(dvs_self.pid);
}

/* At load, and in every forked child (which would otherwise stamp its parent's pid). */
__attribute__((constructor)) static void dvs_self_load(void)
{
    dvs_self_init();
    pthread_atfork(NULL, NULL, dvs_self_init);
}

int32_t dvs_getpid(void) { return (int32_t)getpid(); }
int32_t dvs_gettid(void) { return (int32_t)syscall(SYS_gettid); }

int dvs_vcopy(int32_t src_pid, uint64_t src_addr, int32_t dst_pid, uint64_t dst_addr, uint64_t bytes)
{
    dvs_clear_error();
    const int32_t self = (int32_t)getpid();
    uint64_t done = 0;
    uint8_t *bounce = NULL;
    const uint64_t bounce_size = 1u << 20;
    if (src_pid != self && dst_pid != self) {
        bounce = malloc(bounce_size);
        if (bounce == NULL) return dvs_set_error(ENOMEM, "vcopy bounce buffer: out of memory");
    }
    while (done < bytes) {
        ssize_t n;
        uint64_t chunk = bytes - done;
        /* Also within one process: the kernel checks both ranges (EFAULT), a memmove would crash. */
        if (src_pid == self) {
            struct iovec local = {(void *)(uintptr_t)(src_addr + done), chunk};
            struct iovec remote = {(void *)(uintptr_t)(dst_addr + done), chunk};
            n = process_vm_writev(dst_pid, &local, 1, &remote, 1, 0);
        } else if (dst_pid == self) {
            struct iovec local = {(void *)(uintptr_t)(dst_addr + done), chunk};
            struct iovec remote = {(void *)(uintptr_t)(src_addr + done), chunk};
            n = process_vm_readv(src_pid, &local, 1, &remote, 1, 0);
        } else {
            if (chunk > bounce_size) chunk = bounce_size;
            struct iovec local = {bounce, chunk};
            struct iovec remote = {(void *)(uintptr_t)(src_addr + done), chunk};
            n = process_vm_readv(src_pid, &local, 1, &remote, 1, 0);
            if (n > 0) {
                struct iovec out = {bounce, (size_t)n};
                struct iovec rdst = {(void *)(uintptr_t)(dst_addr + done), (size_t)n};
                n = process_vm_writev(dst_pid, &out, 1, &rdst, 1, 0);
            }
        }
        if (n <= 0) {
            int e = n == 0 ? EFAULT : errno;
            free(bounce);
            return dvs_set_error(e, "vcopy of %llu bytes from pid %d to pid %d failed after %llu bytes: %s",
                                 (unsigned long long)bytes, src_pid, dst_pid, (unsigned long long)done, strerror(e));
        }
        done += (uint64_t)n;
    }
    free(bounce);
    return 0;
}

int dvs_pin_thread(int32_t cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (cpu < 0 || cpu >= CPU_SETSIZE) return dvs_set_error(EDVSBADVALUE, "cpu %d out of range", cpu);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) return dvs_set_error(errno, "sched_setaffinity(%d): %s", cpu, strerror(errno));
    return 0;
}

int dvs_read_regular_file(const char *path, uint8_t *buf, uint64_t capacity, uint64_t *length)
{
    dvs_clear_error();
    if (path == NULL || buf == NULL || length == NULL) return dvs_set_error(EDVSINVAL, "null argument");
    /* O_NONBLOCK: opening a FIFO for reading would wait for a writer; the type is checked on the
     * opened descriptor, so the file cannot be swapped between the check and the read. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        return dvs_set_error(EDVSBADFILE, "%s", strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return dvs_set_error(EDVSBADFILE, "%s", strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return dvs_set_error(EDVSBADFILE, "not a regular file (%s)",
                             S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO"
                             : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                             : S_ISSOCK(st.st_mode) ? "a socket" : "not a file");
    }
    if ((uint64_t)st.st_size > capacity) {
        close(fd);
        return dvs_set_error(EDVSBADVALUE, "%lld bytes, more than %llu", (long long)st.st_size, (unsigned long long)capacity);
    }
    uint64_t done = 0;
    for (;;) {
        if (done == capacity) {
            /* grew past the bound since fstat: one byte more tells */
            uint8_t extra;
            ssize_t more = read(fd, &extra, 1);
            if (more > 0) {
                close(fd);
                return dvs_set_error(EDVSBADVALUE, "more than %llu bytes", (unsigned long long)capacity);
            }
            break;
        }
        ssize_t n = read(fd, buf + done, (size_t)(capacity - done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return dvs_set_error(EDVSBADFILE, "%s", strerror(e));
        }
        if (n == 0) break;
        done += (uint64_t)n;
    }
    close(fd);
    *length = done;
    return 0;
}
