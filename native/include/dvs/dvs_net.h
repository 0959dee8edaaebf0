/*
 * libdvsshim, network part: batched UDP datagram I/O for the transport between node hosts.
 *
 * IPv4 only for now. Sockets are plain blocking file descriptors; receive waits in poll() with a
 * timeout and then drains with recvmmsg(MSG_DONTWAIT), so a proxy thread sleeps in the kernel when
 * idle and never has to spin. Send batches with sendmmsg().
 *
 * Errors: -1 with the per-thread error of dvs.h (dvs_errcode: the errno, dvs_errmsg: what failed);
 * the datagram calls return a count otherwise. Nothing here prints or aborts.
 * Addresses and ports cross this boundary in host byte order.
 */
#ifndef DVS_DVS_NET_H
#define DVS_DVS_NET_H

#include <stdint.h>
#include "dvs/dvs.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Opens a UDP socket bound to bind_addr:port (port 0 picks a free port). rcvbuf / sndbuf: socket
 * buffer sizes in bytes, 0 keeps the kernel default. On success assigns *fd_out and *port_out (the
 * bound port) and returns 0. */
DVS_API int dvs_udp_open(uint32_t bind_addr, uint16_t port, int32_t rcvbuf, int32_t sndbuf,
                         int32_t *fd_out, uint16_t *port_out);

/* Closes the socket. */
DVS_API int dvs_udp_close(intptr_t fd);

/* Sends `count` datagrams with sendmmsg. Datagram i is lengths[i] bytes at buf + i * slot_size,
 * to addrs[i]:ports[i]. A datagram the kernel refuses for a transient reason (buffer full, no
 * route, message too large) is skipped: the reliable layer above retransmits. Returns the number
 * of datagrams sent, or -1 on a socket error. */
DVS_API int dvs_udp_send_batch(intptr_t fd, const uint8_t *buf, uint32_t slot_size, int32_t count,
                               const uint32_t *lengths, const uint32_t *addrs,
                               const uint16_t *ports);

/* Waits up to timeout_ms (-1 forever, 0 no wait) for datagrams, then receives up to `max` with
 * recvmmsg into buf (slot i at buf + i * slot_size). Sets lengths[i] and the source in
 * addrs[i]:ports[i]; a datagram longer than slot_size is truncated to slot_size, so a slot one
 * byte larger than the largest valid frame makes every oversized datagram visible as such. Returns the count (0 on timeout or interruption) or -1 on a
 * socket error. */
DVS_API int dvs_udp_recv_batch(intptr_t fd, uint8_t *buf, uint32_t slot_size, int32_t max,
                               uint32_t *lengths, uint32_t *addrs, uint16_t *ports,
                               int32_t timeout_ms);

#ifdef __cplusplus
}
#endif
#endif /* DVS_DVS_NET_H */
