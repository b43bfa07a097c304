/* include/rocket/abi/uio.h - struct iovec and struct user_msghdr
 * (include/uapi/linux/uio.h, include/linux/socket.h), for IORING_OP_SENDMSG:
 * a send gathered from several pieces of memory. Apart from linux.h so that
 * code which also includes libc's headers (the engine's white-box tests) can
 * use them: the names are ours, nothing here clashes.
 * Read next: include/rocket/abi/fs.h.
 */
#ifndef ROCKET_ABI_UIO_H
#define ROCKET_ABI_UIO_H

#include <stddef.h>

struct rk_iovec {
	void *iov_base;
	size_t iov_len;
};

struct rk_user_msghdr {
	void *msg_name;
	int msg_namelen;
	struct rk_iovec *msg_iov;
	size_t msg_iovlen;
	void *msg_control;
	size_t msg_controllen;
	unsigned int msg_flags;
};

#endif
