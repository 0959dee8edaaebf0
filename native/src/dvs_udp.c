/* Batched UDP I/O for the transport between node hosts (declared in dvs/dvs_net.h). */
#include "dvs/dvs_net.h"
#include "dvs_internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* sendmmsg / recvmmsg take at most this many datagrams per call; larger batches loop. The stack
 * arrays below stay under 10 KiB. */
#define DVS_UDP_CHUNK 64

int dvs_udp_open(uint32_t bind_addr, uint16_t port, int32_t rcvbuf, int32_t sndbuf,
                 int32_t *fd_out, uint16_t *port_out)
{
    if (fd_out == NULL || port_out == NULL || rcvbuf < 0 || sndbuf < 0) {
        return dvs_set_error(EINVAL, "udp open: invalid argument");
    }
    const char *step = "socket";
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return dvs_set_error(errno, "udp open: socket: %s", strerror(errno));
    }
    step = "SO_RCVBUF";
    if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) != 0) {
        goto fail;
    }
    step = "SO_SNDBUF";
    if (sndbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) != 0) {
        goto fail;
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(bind_addr);
    sa.sin_port = htons(port);
    step = "bind";
    if (bind(fd, (const struct sockaddr *)&sa, sizeof sa) != 0) {
        goto fail;
    }
    step = "getsockname";
    socklen_t len = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        goto fail;
    }
    *fd_out = fd;
    *port_out = ntohs(sa.sin_port);
    return 0;

fail:;
    int saved = errno;
    close(fd);
    return dvs_set_error(saved, "udp open %u.%u.%u.%u:%u: %s: %s", (bind_addr >> 24) & 0xffu,
                         (bind_addr >> 16) & 0xffu, (bind_addr >> 8) & 0xffu, bind_addr & 0xffu,
                         (unsigned)port, step, strerror(saved));
}

int dvs_udp_close(intptr_t fd)
{
    if (close((int)fd) != 0) {
        return dvs_set_error(errno, "udp close: %s", strerror(errno));
    }
    return 0;
}

/* Errors after which the other datagrams of the batch may still go out. */
static int dvs_udp_transient(int err)
{
    switch (err) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case ENOBUFS:
    case ENOMEM:
    case EMSGSIZE:
    case ECONNREFUSED:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ENETDOWN:
    case EPERM:
    case EACCES:
    case EADDRNOTAVAIL:
        return 1;
    default:
        return 0;
    }
}

int dvs_udp_send_batch(intptr_t fd, const uint8_t *buf, uint32_t slot_size, int32_t count,
                       const uint32_t *lengths, const uint32_t *addrs, const uint16_t *ports)
{
    if (buf == NULL || lengths == NULL || addrs == NULL || ports == NULL || count < 0) {
        return dvs_set_error(EINVAL, "udp send: invalid argument");
    }
    struct mmsghdr msgs[DVS_UDP_CHUNK];
    struct iovec iovs[DVS_UDP_CHUNK];
    struct sockaddr_in sas[DVS_UDP_CHUNK];
    int sent = 0;
    int32_t next = 0;
    while (next < count) {
        int n = count - next < DVS_UDP_CHUNK ? (int)(count - next) : DVS_UDP_CHUNK;
        for (int i = 0; i < n; i++) {
            int32_t k = next + i;
            memset(&sas[i], 0, sizeof sas[i]);
            sas[i].sin_family = AF_INET;
            sas[i].sin_addr.s_addr = htonl(addrs[k]);
            sas[i].sin_port = htons(ports[k]);
            iovs[i].iov_base = (void *)(buf + (size_t)k * slot_size);
            iovs[i].iov_len = lengths[k] <= slot_size ? lengths[k] : slot_size;
            memset(&msgs[i], 0, sizeof msgs[i]);
            msgs[i].msg_hdr.msg_name = &sas[i];
            msgs[i].msg_hdr.msg_namelen = sizeof sas[i];
            msgs[i].msg_hdr.msg_iov = &iovs[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int r = sendmmsg((int)fd, msgs, (unsigned int)n, 0);
        if (r > 0) {
            sent += r;
            next += r;
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else if (r == 0 || dvs_udp_transient(errno)) {
            next++; /* the first datagram of the chunk failed: skip it, keep the rest */
        } else {
            return dvs_set_error(errno, "udp send: sendmmsg: %s", strerror(errno));
        }
    }
    return sent;
}

int dvs_udp_recv_batch(intptr_t fd, uint8_t *buf, uint32_t slot_size, int32_t max,
                       uint32_t *lengths, uint32_t *addrs, uint16_t *ports, int32_t timeout_ms)
{
    if (buf == NULL || lengths == NULL || addrs == NULL || ports == NULL || max < 0) {
        return dvs_set_error(EINVAL, "udp receive: invalid argument");
    }
    if (max == 0) {
        return 0;
    }
    struct mmsghdr msgs[DVS_UDP_CHUNK];
    struct iovec iovs[DVS_UDP_CHUNK];
    struct sockaddr_in sas[DVS_UDP_CHUNK];
    int n = max < DVS_UDP_CHUNK ? (int)max : DVS_UDP_CHUNK;
    /* ECONNREFUSED: an ICMP error was queued for an earlier send, not a failure of this receive */
    int r = dvs_recv_slots(fd, buf, slot_size, n, sas, sizeof sas[0], msgs, iovs, timeout_ms, ECONNREFUSED, "udp");
    if (r <= 0) {
        return r;
    }
    for (int i = 0; i < r; i++) {
        lengths[i] = msgs[i].msg_len; /* slot_size when the datagram was truncated */
        addrs[i] = ntohl(sas[i].sin_addr.s_addr);
        ports[i] = ntohs(sas[i].sin_port);
    }
    return r;
}
