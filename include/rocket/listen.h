/* include/rocket/listen.h - listening TCP sockets: open one on a numeric
 * address, check one handed over by systemd, name one for the banner.
 * The engine opens its own with these when the caller gave it none
 * (rk_engine_config.listen_fds); the command line opens one per --bind.
 * Follows socket(7), ip(7), ipv6(7) and tcp(7).
 * Read next: src/engine/listen.c.
 */
#ifndef ROCKET_LISTEN_H
#define ROCKET_LISTEN_H

#include <stddef.h>
#include <stdint.h>

/* A listening socket on addr:port (addr numeric, see rocket/addr.h), with
 * SO_REUSEADDR, TCP_NODELAY (accepted sockets inherit it) and, for "::",
 * IPv4 too (IPV6_V6ONLY off). Returns the fd, or -errno: -EINVAL when addr
 * is no numeric address, else what socket/bind/listen said. */
int rk_listen_open(const char *addr, uint16_t port, int backlog);

/* Another listening socket on fd's address, in one SO_REUSEPORT group with
 * it (fd gets SO_REUSEPORT too). Returns the new fd or -errno. */
int rk_listen_sibling(int fd, int backlog);

/* 0 if fd is a stream socket in the listening state, else -ENOTSOCK (not a
 * socket), -EPROTOTYPE (not a stream) or -EINVAL (not listening). */
int rk_listen_check(int fd);

/* The port fd is bound to (0 when it cannot be read). */
uint16_t rk_listen_port(int fd);

/* "127.0.0.1:8080" or "[::1]:8080" for the address fd is bound to. */
size_t rk_listen_name(int fd, char *buf, size_t cap);

#endif
