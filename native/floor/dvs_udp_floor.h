/*
 * The UDP floor of the cross-node benchmarks (issue 4): a 64-byte ping-pong over UDP on
 * 127.0.0.1 between two processes, in plain C, blocking in recv or busy-polling a non-blocking
 * socket (the two rows "UDP on 127.0.0.1" of FLOOR.md). A Dvs call between nodes crosses the
 * same loopback UDP once per direction, so this is the cheapest it could possibly be.
 *
 * The partner (dvs-udp-floor echo <port> <cpu> block|poll) binds 127.0.0.1:<port>, prints
 * "ready" and sends every datagram back to its sender. The client half runs in the benchmark
 * process (libdvsfloor), N round trips per call, so the time per operation is the C round trip.
 * Calls return 0 on success, -1 with errno set on failure (EPROTO: a reply that is not the
 * request just sent). One client thread per socket.
 */
#ifndef DVS_UDP_FLOOR_H
#define DVS_UDP_FLOOR_H

#include <stdint.h>

#include "dvs_floor.h"

/* A UDP socket bound to 127.0.0.1:0 and connected to 127.0.0.1:port; non-blocking when busy_poll. */
DVS_FLOOR_API int dvs_udp_floor_open(int32_t port, int32_t busy_poll, int32_t *fd_out);
DVS_FLOOR_API int dvs_udp_floor_close(int32_t fd);

/* N round trips of one 64-byte datagram; each reply must carry the request's sequence. */
DVS_FLOOR_API int dvs_udp_floor_pingpong(int32_t fd, int64_t iterations, int32_t busy_poll);

/* Partner loop: echoes every datagram on fd to its sender, forever (until an error). */
DVS_FLOOR_API int dvs_udp_floor_echo(int32_t fd, int32_t busy_poll);
/* Partner side: a UDP socket bound to 127.0.0.1:port; non-blocking when busy_poll. */
DVS_FLOOR_API int dvs_udp_floor_bind(int32_t port, int32_t busy_poll, int32_t *fd_out);

#endif
