#ifndef SMARTPAY_CHIREDIS_SHIM_H
#define SMARTPAY_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#include <sys/socket.h>
#include <errno.h>

/// 1 when the peer closed the connection (EOF seen without reading data), 0 when it looks alive.
static inline int smartpay_redis_peer_closed(const redisContext *c) {
    char byte;
    if (c == NULL || c->fd < 0) return 1;
    ssize_t n = recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return 1;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return 1;
    return 0;
}
#endif
