/*
 * dvs-udp-floor: the partner of the UDP floor benchmark.
 *   dvs-udp-floor echo <port> <cpu> block|poll
 * Binds 127.0.0.1:<port>, prints "ready", then echoes every datagram pinned to <cpu>. Exits when
 * stdin reaches end of file: the parent holds the other end of the pipe, so a parent that dies
 * (even by SIGKILL) never leaves a busy-polling partner behind.
 */
#include "dvs_udp_floor.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *watch_stdin(void *arg)
{
    (void)arg;
    char buffer[64];
    while (read(STDIN_FILENO, buffer, sizeof(buffer)) > 0)
    {
    }
    _exit(0);
}

int main(int argc, char **argv)
{
    if (argc != 5 || strcmp(argv[1], "echo") != 0 || (strcmp(argv[4], "block") != 0 && strcmp(argv[4], "poll") != 0))
    {
        fprintf(stderr, "usage: dvs-udp-floor echo <port> <cpu> block|poll\n");
        return 2;
    }
    int port = atoi(argv[2]);
    int cpu = atoi(argv[3]);
    int busy = strcmp(argv[4], "poll") == 0;
    if (dvs_floor_pin_thread(cpu) != 0)
    {
        fprintf(stderr, "dvs-udp-floor: cannot pin to cpu %d: %s\n", cpu, strerror(errno));
        return 1;
    }
    int32_t fd;
    if (dvs_udp_floor_bind(port, busy, &fd) != 0)
    {
        fprintf(stderr, "dvs-udp-floor: cannot bind 127.0.0.1:%d: %s\n", port, strerror(errno));
        return 1;
    }
    pthread_t watcher;
    if (pthread_create(&watcher, NULL, watch_stdin, NULL) != 0)
    {
        fprintf(stderr, "dvs-udp-floor: cannot start the stdin watcher\n");
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    dvs_udp_floor_echo(fd, busy);
    fprintf(stderr, "dvs-udp-floor: %s\n", strerror(errno));
    return 1;
}
