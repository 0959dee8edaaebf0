/* Batched raw Ethernet I/O (AF_PACKET) for the transport between node hosts (dvs/dvs_net.h).
 *
 * SOCK_DGRAM packet sockets: the kernel adds and strips the Ethernet header, so a slot holds the
 * same frame bytes as a UDP datagram would. The socket is created with protocol 0 (it receives
 * nothing) and then bound to one interface and one EtherType, so no frame of another interface or
 * type is ever queued on it. */
#include "dvs/dvs_net.h"
#include "dvs_internal.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23 /* Linux 4.20 */
#endif

/* Frames per sendmmsg / recvmmsg call; larger batches loop (stack arrays stay under 10 KiB). */
#define DVS_PACKET_CHUNK 64

static uint64_t dvs_mac_to_u64(const unsigned char *mac)
{
    uint64_t v = 0;
    for (int i = 0; i < 6; i++) {
        v = (v << 8) | mac[i];
    }
    return v;
}

static void dvs_mac_from_u64(uint64_t v, unsigned char *mac)
{
    for (int i = 5; i >= 0; i--) {
        mac[i] = (unsigned char)(v & 0xffu);
        v >>= 8;
    }
}

int dvs_packet_open(const char *ifname, uint16_t ethertype, int32_t rcvbuf, int32_t sndbuf,
                    int32_t *fd_out, int32_t *ifindex_out, int32_t *mtu_out, uint64_t *mac_out)
{
    if (ifname == NULL || fd_out == NULL || ifindex_out == NULL || mtu_out == NULL || mac_out == NULL
        || rcvbuf < 0 || sndbuf < 0) {
        return dvs_set_error(EINVAL, "packet open: invalid argument");
    }
    size_t name_len = strlen(ifname);
    if (name_len == 0 || name_len >= IFNAMSIZ) {
        return dvs_set_error(EINVAL, "packet open: '%s' is not a valid interface name (1..%d characters)",
                             ifname, IFNAMSIZ - 1);
    }
    /* The interface first: that needs no privilege, so a wrong name is reported as such everywhere. */
    unsigned int ifindex = if_nametoindex(ifname);
    if (ifindex == 0) {
        int err = errno == 0 ? ENODEV : errno;
        return dvs_set_error(err, "packet open %s: no such interface: %s", ifname, strerror(err));
    }
    int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return dvs_set_error(errno, "packet open %s: socket(AF_PACKET): %s", ifname, strerror(errno));
    }
    const char *step = "SIOCGIFHWADDR";
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, ifname, name_len);
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) {
        goto fail;
    }
    if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
        close(fd);
        return dvs_set_error(EINVAL, "packet open %s: not an Ethernet interface (hardware type %u)", ifname,
                             (unsigned)ifr.ifr_hwaddr.sa_family);
    }
    uint64_t mac = dvs_mac_to_u64((const unsigned char *)ifr.ifr_hwaddr.sa_data);
    step = "SIOCGIFMTU";
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, ifname, name_len);
    if (ioctl(fd, SIOCGIFMTU, &ifr) != 0) {
        goto fail;
    }
    int mtu = ifr.ifr_mtu;
    step = "SO_RCVBUF";
    if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) != 0) {
        goto fail;
    }
    step = "SO_SNDBUF";
    if (sndbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) != 0) {
        goto fail;
    }
    /* Best effort: older kernels lack it, and receive filters our own frames out anyway. */
    int one = 1;
    (void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ethertype);
    sll.sll_ifindex = (int)ifindex;
    step = "bind";
    if (bind(fd, (const struct sockaddr *)&sll, sizeof sll) != 0) {
        goto fail;
    }
    *fd_out = fd;
    *ifindex_out = (int32_t)ifindex;
    *mtu_out = mtu;
    *mac_out = mac;
    return 0;

fail:;
    int saved = errno;
    close(fd);
    return dvs_set_error(saved, "packet open %s: %s: %s", ifname, step, strerror(saved));
}

int dvs_packet_close(intptr_t fd)
{
    if (close((int)fd) != 0) {
        return dvs_set_error(errno, "packet close: %s", strerror(errno));
    }
    return 0;
}

/* Errors after which the other frames of the batch may still go out. */
static int dvs_packet_transient(int err)
{
    switch (err) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case ENOBUFS:
    case ENOMEM:
    case EMSGSIZE:
    case ENETDOWN:
    case ENXIO: /* the interface went away or down */
        return 1;
    default:
        return 0;
    }
}

int dvs_packet_send_batch(intptr_t fd, int32_t ifindex, uint16_t ethertype, const uint8_t *buf,
                          uint32_t slot_size, int32_t count, const uint32_t *lengths,
                          const uint64_t *macs)
{
    if (buf == NULL || lengths == NULL || macs == NULL || count < 0 || ifindex <= 0) {
        return dvs_set_error(EINVAL, "packet send: invalid argument");
    }
    struct mmsghdr msgs[DVS_PACKET_CHUNK];
    struct iovec iovs[DVS_PACKET_CHUNK];
    struct sockaddr_ll slls[DVS_PACKET_CHUNK];
    int sent = 0;
    int32_t next = 0;
    while (next < count) {
        int n = count - next < DVS_PACKET_CHUNK ? (int)(count - next) : DVS_PACKET_CHUNK;
        for (int i = 0; i < n; i++) {
            int32_t k = next + i;
            memset(&slls[i], 0, sizeof slls[i]);
            slls[i].sll_family = AF_PACKET;
            slls[i].sll_protocol = htons(ethertype);
            slls[i].sll_ifindex = ifindex;
            slls[i].sll_halen = 6;
            dvs_mac_from_u64(macs[k], slls[i].sll_addr);
            iovs[i].iov_base = (void *)(buf + (size_t)k * slot_size);
            iovs[i].iov_len = lengths[k] <= slot_size ? lengths[k] : slot_size;
            memset(&msgs[i], 0, sizeof msgs[i]);
            msgs[i].msg_hdr.msg_name = &slls[i];
            msgs[i].msg_hdr.msg_namelen = sizeof slls[i];
            msgs[i].msg_hdr.msg_iov = &iovs[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int r = sendmmsg((int)fd, msgs, (unsigned int)n, MSG_DONTWAIT);
        if (r > 0) {
            sent += r;
            next += r;
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else if (r == 0 || dvs_packet_transient(errno)) {
            next++; /* the first frame of the chunk failed: skip it, keep the rest */
        } else {
            return dvs_set_error(errno, "packet send: sendmmsg: %s", strerror(errno));
        }
    }
    return sent;
}

int dvs_packet_recv_batch(intptr_t fd, uint8_t *buf, uint32_t slot_size, int32_t max,
                          uint32_t *lengths, uint64_t *macs, int32_t timeout_ms)
{
    if (buf == NULL || lengths == NULL || macs == NULL || max < 0) {
        return dvs_set_error(EINVAL, "packet receive: invalid argument");
    }
    if (max == 0) {
        return 0;
    }
    struct mmsghdr msgs[DVS_PACKET_CHUNK];
    struct iovec iovs[DVS_PACKET_CHUNK];
    struct sockaddr_ll slls[DVS_PACKET_CHUNK];
    int n = max < DVS_PACKET_CHUNK ? (int)max : DVS_PACKET_CHUNK;
    /* ENETDOWN: the interface went down for a moment; the sessions retransmit */
    int r = dvs_recv_slots(fd, buf, slot_size, n, slls, sizeof slls[0], msgs, iovs, timeout_ms, ENETDOWN, "packet");
    if (r <= 0) {
        return r;
    }
    /* Keep the frames from others; without PACKET_IGNORE_OUTGOING our own come back too. Moving a
     * slot down happens only on such kernels. */
    int kept = 0;
    for (int i = 0; i < r; i++) {
        if (slls[i].sll_pkttype == PACKET_OUTGOING || slls[i].sll_halen != 6) {
            continue;
        }
        if (kept != i) {
            memmove(buf + (size_t)kept * slot_size, buf + (size_t)i * slot_size, msgs[i].msg_len);
        }
        lengths[kept] = msgs[i].msg_len; /* slot_size when the frame was truncated */
        macs[kept] = dvs_mac_to_u64(slls[i].sll_addr);
        kept++;
    }
    return kept;
}
