/* The receive half both datagram channels share (UDP, AF_PACKET): wait with a timeout, then take
 * up to n datagrams in one recvmmsg into fixed-size slots, with their source addresses. */
#include "dvs_internal.h"
#include <sys/socket.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/uio.h>

int dvs_recv_slots(intptr_t fd, uint8_t *buf, uint32_t slot_size, int n, void *names, unsigned int name_size,
                   struct mmsghdr *msgs, struct iovec *iovs, int32_t timeout_ms, int quiet_errno, const char *what)
{
    struct pollfd pfd = { .fd = (int)fd, .events = POLLIN, .revents = 0 };
    int pr = poll(&pfd, 1, timeout_ms < 0 ? -1 : timeout_ms);
    if (pr == 0 || (pr < 0 && errno == EINTR)) {
        return 0;
    }
    if (pr < 0) {
        return dvs_set_error(errno, "%s receive: poll: %s", what, strerror(errno));
    }
    if (pfd.revents & POLLNVAL) {
        return dvs_set_error(EBADF, "%s receive: socket closed", what);
    }
    for (int i = 0; i < n; i++) {
        iovs[i].iov_base = buf + (size_t)i * slot_size;
        iovs[i].iov_len = slot_size;
        memset(&msgs[i], 0, sizeof msgs[i]);
        msgs[i].msg_hdr.msg_name = (uint8_t *)names + (size_t)i * name_size;
        msgs[i].msg_hdr.msg_namelen = name_size;
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int r;
    do {
        r = recvmmsg((int)fd, msgs, (unsigned int)n, MSG_DONTWAIT, NULL);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        /* Another reader drained it first, or a transient error of the channel: nothing to deliver. */
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == quiet_errno) {
            return 0;
        }
        return dvs_set_error(errno, "%s receive: recvmmsg: %s", what, strerror(errno));
    }
    return r;
}
