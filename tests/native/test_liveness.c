/* Process liveness: alive, dead (reaped), zombie, and a reused pid (start time differs). */
#include "dvs_test.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* A child that blocks until `release` is closed by the parent, then exits with 0. */
static pid_t blocked_child(int *release_fd)
{
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        close(p[1]);
        char c;
        while (read(p[0], &c, 1) > 0) {
        }
        _exit(0);
    }
    close(p[0]);
    *release_fd = p[1];
    return child;
}

static char proc_state(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return '?';
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')');
    return paren != NULL && paren[1] == ' ' ? paren[2] : '?';
}

DVS_TEST(self_is_alive)
{
    CHECK_EQ(getpid(), dvs_getpid());
    CHECK_EQ(syscall(SYS_gettid), dvs_gettid());
    uint64_t start = dvs_pid_start_time(getpid());
    CHECK(start > 0);
    CHECK_EQ(1, dvs_pid_alive(getpid(), 0));
    CHECK_EQ(1, dvs_pid_alive(getpid(), start));
}

DVS_TEST(another_start_time_means_another_process)
{
    uint64_t start = dvs_pid_start_time(getpid());
    CHECK(start > 0);
    CHECK_EQ(0, dvs_pid_alive(getpid(), start + 1));
    CHECK_EQ(0, dvs_pid_alive(getpid(), start - 1));
}

DVS_TEST(a_running_child_is_alive)
{
    int release;
    pid_t child = blocked_child(&release);
    uint64_t start = dvs_pid_start_time(child);
    CHECK(start > 0);
    CHECK(start >= dvs_pid_start_time(getpid()));
    CHECK_EQ(1, dvs_pid_alive(child, 0));
    CHECK_EQ(1, dvs_pid_alive(child, start));
    close(release);
    CHECK_EQ(0, dvs_test_join_child(child));
}

DVS_TEST(a_reaped_child_is_dead)
{
    int release;
    pid_t child = blocked_child(&release);
    uint64_t start = dvs_pid_start_time(child);
    close(release);
    CHECK_EQ(0, dvs_test_join_child(child));
    CHECK_EQ(0, dvs_pid_alive(child, 0));
    CHECK_EQ(0, dvs_pid_alive(child, start));
    CHECK_EQ(0, dvs_pid_start_time(child));
}

DVS_TEST(a_killed_child_is_dead)
{
    int release;
    pid_t child = blocked_child(&release);
    CHECK(kill(child, SIGKILL) == 0);
    int status;
    CHECK(waitpid(child, &status, 0) == child);
    CHECK(WIFSIGNALED(status));
    close(release);
    CHECK_EQ(0, dvs_pid_alive(child, 0));
}

/* An exited child its parent has not reaped yet still has a pid: it must count as dead. */
DVS_TEST(a_zombie_is_dead)
{
    int release;
    pid_t child = blocked_child(&release);
    uint64_t start = dvs_pid_start_time(child);
    close(release);
    siginfo_t info;
    memset(&info, 0, sizeof info);
    /* WNOWAIT: wait for the exit but leave the child unreaped, a zombie */
    CHECK(waitid(P_PID, (id_t)child, &info, WEXITED | WNOWAIT) == 0);
    CHECK_MSG(proc_state(child) == 'Z', "precondition: child state '%c', want 'Z'",
              proc_state(child));
    CHECK_EQ(0, dvs_pid_alive(child, 0));
    CHECK_EQ(0, dvs_pid_alive(child, start));
    CHECK_EQ(0, dvs_test_join_child(child));
}

/* kill(0 or -1, 0) succeeds (process group / every process): a naive check would say "alive". */
DVS_TEST(pids_that_name_no_single_process_are_not_alive)
{
    CHECK(dvs_pid_alive(0, 0) != 1);
    CHECK(dvs_pid_alive(-1, 0) != 1);
    CHECK(dvs_pid_alive(-getpid(), 0) != 1);
    CHECK(dvs_pid_alive(0x7fffffff, 0) != 1);
}
