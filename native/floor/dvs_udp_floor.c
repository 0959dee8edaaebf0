/* The UDP floor: see dvs_udp_floor.h. As plain as the measurement in FLOOR.md on purpose. */
#include "dvs_udp_floor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MESSAGE 64

static int make_socket(int32_t port, int32_t busy_poll, int bind_to_port, int32_t *fd_out)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
    {
        return -1;
    }
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(bind_to_port ? (uint16_t)port : 0);
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
    {
        goto fail;
    }
    if (!bind_to_port)
    {
        addr.sin_port = htons((uint16_t)port);
        if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
        {
            goto fail;
        }
    }
    if (busy_poll && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)
    {
        goto fail;
    }
    *fd_out = fd;
    return 0;
fail:;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

int dvs_udp_floor_open(int32_t port, int32_t busy_poll, int32_t *fd_out)
{
    return make_socket(port, busy_poll, 0, fd_out);
}

int dvs_udp_floor_bind(int32_t port, int32_t busy_poll, int32_t *fd_out)
{
    return make_socket(port, busy_poll, 1, fd_out);
}

int dvs_udp_floor_close(int32_t fd)
{
    return close(fd);
}

int dvs_udp_floor_pingpong(int32_t fd, int64_t iterations, int32_t busy_poll)
{
    unsigned char out[MESSAGE];
    unsigned char in[MESSAGE];
    memset(out, 0x5a, sizeof(out));
    for (int64_t i = 0; i < iterations; i++)
    {
        memcpy(out, &i, sizeof(i));
        if (send(fd, out, MESSAGE, 0) != MESSAGE)
        {
            return -1;
        }
        ssize_t n;
        do
        {
            n = recv(fd, in, MESSAGE, 0);
        } while (n < 0 && (errno == EINTR || (busy_poll && errno == EAGAIN)));
        if (n != MESSAGE || memcmp(in, &i, sizeof(i)) != 0)
        {
            if (n >= 0)
            {
                errno = EPROTO;
            }
            return -1;
        }
    }
    return 0;
}

int dvs_udp_floor_echo(int32_t fd, int32_t busy_poll)
{
    unsigned char buffer[MESSAGE];
    for (;;)
    {
        struct sockaddr_in from;
        socklen_t length = sizeof(from);
        ssize_t n = recvfrom(fd, buffer, sizeof(buffer), 0, (struct sockaddr *)&from, &length);
        if (n < 0)
        {
            if (errno == EINTR || (busy_poll && errno == EAGAIN))
            {
                continue;
            }
            return -1;
        }
        if (sendto(fd, buffer, (size_t)n, 0, (struct sockaddr *)&from, length) != n)
        {
            return -1;
        }
    }
}
