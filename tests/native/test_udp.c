/* Batched UDP datagram I/O of the transport (dvs/dvs_net.h), on loopback. */
#include "dvs_test.h"

#include <dvs/dvs_net.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LOOPBACK 0x7f000001u
#define SLOT 256

static int open_loopback(uint16_t *port)
{
    int32_t fd = -1;
    CHECK_OK(dvs_udp_open(LOOPBACK, 0, 0, 0, &fd, port));
    CHECK(fd >= 0);
    CHECK(*port != 0);
    return fd;
}

static uint32_t datagram_length(int i)
{
    return (uint32_t)(i * 37 % SLOT) + 1; /* 1..SLOT bytes, all different sizes */
}

/* Receives until `want` datagrams arrived (at most 10 s without one). */
static int receive_all(int fd, uint8_t *buf, uint32_t slot, int want, uint32_t *lengths,
                       uint32_t *addrs, uint16_t *ports)
{
    int got = 0;
    while (got < want) {
        int n = dvs_udp_recv_batch(fd, buf + (size_t)got * slot, slot, want - got, lengths + got,
                                   addrs + got, ports + got, 10000);
        CHECK_MSG(n >= 0, "dvs_udp_recv_batch: %s", dvs_test_last_error());
        if (n == 0)
            break; /* 10 s of silence */
        got += n;
    }
    return got;
}

DVS_TEST(open_binds_a_free_port_and_close_releases_it)
{
    uint16_t port;
    int fd = open_loopback(&port);
    CHECK_OK(dvs_udp_close(fd));
    CHECK_EQ(-1, dvs_udp_close(fd));
    CHECK_EQ(EBADF, dvs_errcode());
    /* the port is free again */
    int32_t fd2 = -1;
    uint16_t port2 = 0;
    CHECK_OK(dvs_udp_open(LOOPBACK, port, 0, 0, &fd2, &port2));
    CHECK_EQ(port, port2);
    CHECK_OK(dvs_udp_close(fd2));
}

DVS_TEST(open_of_a_port_in_use_fails_with_its_errno)
{
    uint16_t port;
    int fd = open_loopback(&port);
    int32_t fd2 = 12345;
    uint16_t port2 = 777;
    CHECK_EQ(-1, dvs_udp_open(LOOPBACK, port, 0, 0, &fd2, &port2));
    CHECK_EQ(EADDRINUSE, dvs_errcode());
    CHECK_MSG(strstr(dvs_errmsg(), "bind") != NULL, "message \"%s\" does not name the step",
              dvs_errmsg());
    CHECK_MSG(fd2 == 12345 && port2 == 777, "a failed open assigned its outputs");
    CHECK_OK(dvs_udp_close(fd));
}

DVS_TEST(a_batch_larger_than_one_syscall_arrives_whole_and_in_order)
{
    enum { N = 150 }; /* more than one sendmmsg / recvmmsg chunk */
    uint16_t pa, pb;
    int a = open_loopback(&pa);
    int32_t b = -1;
    CHECK_OK(dvs_udp_open(LOOPBACK, 0, 1 << 20, 0, &b, &pb));

    uint8_t *out = malloc((size_t)N * SLOT), *in = malloc((size_t)N * SLOT);
    uint32_t lengths[N], addrs[N], rlengths[N], raddrs[N];
    uint16_t ports[N], rports[N];
    CHECK(out != NULL && in != NULL);
    for (int i = 0; i < N; i++) {
        lengths[i] = datagram_length(i);
        addrs[i] = LOOPBACK;
        ports[i] = pb;
        for (uint32_t k = 0; k < lengths[i]; k++)
            out[(size_t)i * SLOT + k] = dvs_test_pattern(k, (uint32_t)i);
    }
    CHECK_EQ(N, dvs_udp_send_batch(a, out, SLOT, N, lengths, addrs, ports));

    int got = receive_all(b, in, SLOT, N, rlengths, raddrs, rports);
    CHECK_EQ(N, got);
    for (int i = 0; i < N; i++) {
        CHECK_MSG(rlengths[i] == lengths[i], "datagram %d: %u bytes, sent %u (lost or reordered)",
                  i, rlengths[i], lengths[i]);
        CHECK(memcmp(in + (size_t)i * SLOT, out + (size_t)i * SLOT, lengths[i]) == 0);
        CHECK(raddrs[i] == LOOPBACK);
        CHECK_EQ(pa, rports[i]);
    }
    free(out);
    free(in);
    CHECK_OK(dvs_udp_close(a));
    CHECK_OK(dvs_udp_close(b));
}

DVS_TEST(receive_returns_zero_when_nothing_arrives)
{
    uint16_t port;
    int fd = open_loopback(&port);
    uint8_t buf[SLOT];
    uint32_t len, addr;
    uint16_t from;
    CHECK_EQ(0, dvs_udp_recv_batch(fd, buf, SLOT, 1, &len, &addr, &from, 0));
    CHECK_EQ(0, dvs_udp_recv_batch(fd, buf, SLOT, 1, &len, &addr, &from, 20));
    CHECK_EQ(0, dvs_udp_recv_batch(fd, buf, SLOT, 0, &len, &addr, &from, 20));
    CHECK_OK(dvs_udp_close(fd));
}

DVS_TEST(a_datagram_longer_than_the_slot_is_received_truncated)
{
    uint16_t pa, pb;
    int a = open_loopback(&pa), b = open_loopback(&pb);
    uint8_t out[200];
    for (int i = 0; i < 200; i++)
        out[i] = (uint8_t)i;
    uint32_t len = 200, addr = LOOPBACK;
    CHECK_EQ(1, dvs_udp_send_batch(a, out, 200, 1, &len, &addr, &pb));
    uint8_t in[64 + 8];
    memset(in, 0xAB, sizeof in);
    uint32_t rlen = 0, raddr;
    uint16_t rport;
    CHECK_EQ(1, receive_all(b, in, 64, 1, &rlen, &raddr, &rport));
    CHECK_EQ(64, rlen); /* the slot size: the caller sees the datagram was too long */
    CHECK(memcmp(in, out, 64) == 0);
    CHECK_EQ(0xAB, in[64]); /* nothing written past the slot */
    CHECK_OK(dvs_udp_close(a));
    CHECK_OK(dvs_udp_close(b));
}

/* A datagram the kernel refuses (too large for UDP) is skipped; the rest of the batch goes out. */
DVS_TEST(send_skips_a_refused_datagram_and_sends_the_rest)
{
    enum { BIG = 70000 };
    uint16_t pa, pb;
    int a = open_loopback(&pa);
    int32_t b = -1;
    CHECK_OK(dvs_udp_open(LOOPBACK, 0, 1 << 20, 0, &b, &pb));
    uint8_t *out = calloc(3, BIG);
    CHECK(out != NULL);
    out[0] = 1;
    out[2 * (size_t)BIG] = 3;
    uint32_t lengths[3] = {10, BIG, 10}, addrs[3] = {LOOPBACK, LOOPBACK, LOOPBACK};
    uint16_t ports[3] = {pb, pb, pb};
    CHECK_EQ(2, dvs_udp_send_batch(a, out, BIG, 3, lengths, addrs, ports));
    uint8_t in[2 * SLOT];
    uint32_t rlen[2], raddr[2];
    uint16_t rport[2];
    CHECK_EQ(2, receive_all(b, in, SLOT, 2, rlen, raddr, rport));
    CHECK_EQ(10, rlen[0]);
    CHECK_EQ(1, in[0]);
    CHECK_EQ(10, rlen[1]);
    CHECK_EQ(3, in[SLOT]);
    free(out);
    CHECK_OK(dvs_udp_close(a));
    CHECK_OK(dvs_udp_close(b));
}

DVS_TEST(bad_arguments_and_closed_sockets_fail_with_an_errno)
{
    uint16_t port;
    int fd = open_loopback(&port);
    uint8_t buf[SLOT];
    uint32_t len = 1, addr = LOOPBACK;
    CHECK_EQ(-1, dvs_udp_send_batch(fd, NULL, SLOT, 1, &len, &addr, &port));
    CHECK_EQ(EINVAL, dvs_errcode());
    CHECK_EQ(-1, dvs_udp_recv_batch(fd, buf, SLOT, -1, &len, &addr, &port, 0));
    CHECK_EQ(EINVAL, dvs_errcode());
    int32_t out_fd;
    uint16_t out_port;
    CHECK_EQ(-1, dvs_udp_open(LOOPBACK, 0, -1, 0, &out_fd, &out_port));
    CHECK_EQ(EINVAL, dvs_errcode());
    CHECK_OK(dvs_udp_close(fd));
    CHECK_EQ(-1, dvs_udp_send_batch(fd, buf, SLOT, 1, &len, &addr, &port));
    CHECK_EQ(EBADF, dvs_errcode());
    CHECK_EQ(-1, dvs_udp_recv_batch(fd, buf, SLOT, 1, &len, &addr, &port, 0));
    CHECK_EQ(EBADF, dvs_errcode());
}
