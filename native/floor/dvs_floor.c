/* The C floor: see dvs_floor.h. Kept as plain as the measurement in FLOOR.md on purpose. */
#include "dvs_floor.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOAD_ACQUIRE(p)     __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE_RELEASE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

static int map_region(int fd, dvs_floor_region_t **out)
{
    void *p = mmap(NULL, sizeof(dvs_floor_region_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
    {
        return -1;
    }
    *out = (dvs_floor_region_t *)p;
    return 0;
}

int dvs_floor_create(const char *name, dvs_floor_region_t **out)
{
    int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0)
    {
        return -1;
    }
    dvs_floor_region_t *region = NULL;
    if (ftruncate(fd, (off_t)sizeof(dvs_floor_region_t)) != 0 || map_region(fd, &region) != 0)
    {
        int saved = errno;
        close(fd);
        shm_unlink(name);
        errno = saved;
        return -1;
    }
    close(fd);
    region->size = sizeof(dvs_floor_region_t);
    STORE_RELEASE(&region->magic, DVS_FLOOR_MAGIC);
    *out = region;
    return 0;
}

int dvs_floor_attach(const char *name, dvs_floor_region_t **out)
{
    int fd = shm_open(name, O_RDWR, 0600);
    if (fd < 0)
    {
        return -1;
    }
    struct stat st;
    dvs_floor_region_t *region = NULL;
    if (fstat(fd, &st) != 0)
    {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    if ((size_t)st.st_size != sizeof(dvs_floor_region_t))
    {
        close(fd);
        errno = EPROTO;
        return -1;
    }
    if (map_region(fd, &region) != 0)
    {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    close(fd);
    if (LOAD_ACQUIRE(&region->magic) != DVS_FLOOR_MAGIC || region->size != sizeof(dvs_floor_region_t))
    {
        munmap(region, sizeof(dvs_floor_region_t));
        errno = EPROTO;
        return -1;
    }
    shm_unlink(name);
    *out = region;
    return 0;
}

int dvs_floor_detach(dvs_floor_region_t *region)
{
    if (region == NULL)
    {
        errno = EINVAL;
        return -1;
    }
    STORE_RELEASE(&region->ping_seq, DVS_FLOOR_STOP);
    STORE_RELEASE(&region->ring_head, DVS_FLOOR_STOP);
    return munmap(region, sizeof(dvs_floor_region_t));
}

int dvs_floor_pingpong(dvs_floor_region_t *region, int64_t iterations)
{
    uint64_t message[DVS_FLOOR_LINE / sizeof(uint64_t)] = { 0 };
    uint64_t reply[DVS_FLOOR_LINE / sizeof(uint64_t)];
    uint64_t seq = __atomic_load_n(&region->ping_seq, __ATOMIC_RELAXED);
    for (int64_t i = 0; i < iterations; i++)
    {
        seq++;
        message[0] = seq;
        memcpy(region->request, message, sizeof(message));
        STORE_RELEASE(&region->ping_seq, seq);
        while (LOAD_ACQUIRE(&region->pong_seq) != seq)
        {
            /* spin: the floor is the fastest a waiter can notice, so no pause here */
        }
        memcpy(reply, region->reply, sizeof(reply));
        if (reply[0] != seq)
        {
            errno = EPROTO;
            return -1;
        }
    }
    return 0;
}

int dvs_floor_echo(dvs_floor_region_t *region)
{
    uint64_t seen = __atomic_load_n(&region->ping_seq, __ATOMIC_RELAXED);
    for (;;)
    {
        uint64_t seq;
        while ((seq = LOAD_ACQUIRE(&region->ping_seq)) == seen)
        {
        }
        if (seq == DVS_FLOOR_STOP)
        {
            return 0;
        }
        memcpy(region->reply, region->request, DVS_FLOOR_LINE);
        STORE_RELEASE(&region->pong_seq, seq);
        seen = seq;
    }
}

int dvs_floor_spsc_send(dvs_floor_region_t *region, int64_t messages, int32_t batch)
{
    if (batch < 1 || (uint32_t)batch > DVS_FLOOR_RING_SLOTS)
    {
        errno = EINVAL;
        return -1;
    }
    uint64_t message[DVS_FLOOR_LINE / sizeof(uint64_t)] = { 0 };
    /* Only this thread writes the head, and every call ends with it published. */
    uint64_t head = __atomic_load_n(&region->ring_head, __ATOMIC_RELAXED);
    uint64_t tail = LOAD_ACQUIRE(&region->ring_tail);
    int32_t unpublished = 0;
    for (int64_t i = 0; i < messages; i++)
    {
        while (head - tail >= DVS_FLOOR_RING_SLOTS)
        {
            if (unpublished != 0)
            {
                STORE_RELEASE(&region->ring_head, head);
                unpublished = 0;
            }
            tail = LOAD_ACQUIRE(&region->ring_tail);
        }
        message[0] = head;
        memcpy(region->ring[head & (DVS_FLOOR_RING_SLOTS - 1)], message, sizeof(message));
        head++;
        if (++unpublished == batch)
        {
            STORE_RELEASE(&region->ring_head, head);
            unpublished = 0;
        }
    }
    STORE_RELEASE(&region->ring_head, head);
    while (LOAD_ACQUIRE(&region->ring_tail) != head)
    {
    }
    return 0;
}

int dvs_floor_sink(dvs_floor_region_t *region)
{
    uint64_t message[DVS_FLOOR_LINE / sizeof(uint64_t)];
    uint64_t tail = __atomic_load_n(&region->ring_tail, __ATOMIC_RELAXED);
    for (;;)
    {
        uint64_t head;
        while ((head = LOAD_ACQUIRE(&region->ring_head)) == tail)
        {
        }
        if (head == DVS_FLOOR_STOP)
        {
            return 0;
        }
        for (; tail != head; tail++)
        {
            memcpy(message, region->ring[tail & (DVS_FLOOR_RING_SLOTS - 1)], sizeof(message));
            if (message[0] != tail)
            {
                errno = EPROTO;
                return -1;
            }
        }
        /* One tail publication per chunk taken, as a real consumer (and aeron) does. */
        STORE_RELEASE(&region->ring_tail, tail);
    }
}

int dvs_floor_pin_thread(int32_t cpu)
{
    if (cpu < 0 || cpu >= CPU_SETSIZE)
    {
        errno = EINVAL;
        return -1;
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set);
}
