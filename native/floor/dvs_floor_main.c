/*
 * dvs-floor: the partner of the C floor benchmarks.
 *   dvs-floor echo <shm-name> <cpu>   ping-pong echo
 *   dvs-floor sink <shm-name> <cpu>   one-way SPSC ring consumer
 * Creates the region, prints "ready" on stdout, then spins on it pinned to <cpu>. Exits when
 * the client detaches, or when stdin reaches end of file: the parent holds the other end of the
 * pipe, so a parent that dies (even by SIGKILL) never leaves a spinning partner behind.
 */
#include "dvs_floor.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *g_name;

static void *watch_stdin(void *arg)
{
    (void)arg;
    char buffer[64];
    while (read(STDIN_FILENO, buffer, sizeof(buffer)) > 0)
    {
    }
    shm_unlink(g_name);
    _exit(0);
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[1], "echo") != 0 && strcmp(argv[1], "sink") != 0))
    {
        fprintf(stderr, "usage: dvs-floor echo|sink <shm-name> <cpu>\n");
        return 2;
    }
    g_name = argv[2];
    int cpu = atoi(argv[3]);
    if (dvs_floor_pin_thread(cpu) != 0)
    {
        fprintf(stderr, "dvs-floor: cannot pin to cpu %d: %s\n", cpu, strerror(errno));
        return 1;
    }
    dvs_floor_region_t *region = NULL;
    if (dvs_floor_create(g_name, &region) != 0)
    {
        fprintf(stderr, "dvs-floor: cannot create %s: %s\n", g_name, strerror(errno));
        return 1;
    }
    pthread_t watcher;
    if (pthread_create(&watcher, NULL, watch_stdin, NULL) != 0)
    {
        shm_unlink(g_name);
        fprintf(stderr, "dvs-floor: cannot start the stdin watcher\n");
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    int rc = strcmp(argv[1], "echo") == 0 ? dvs_floor_echo(region) : dvs_floor_sink(region);
    shm_unlink(g_name);
    if (rc != 0)
    {
        fprintf(stderr, "dvs-floor: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}
