/* tests/test_abi.c - our hand-written io_uring ABI (include/rocket/abi/
 * io_uring.h) against the system's <linux/io_uring.h>, at compile time:
 * every struct both define has the same size, every field both define the
 * same offset and size, every constant both define the same value.
 *
 * Both headers use the kernel's names, so one translation unit holds them
 * like this: include the system header; capture its values, sizes and
 * offsets in enum constants (sys_*); #undef its macros; rename our struct
 * tags and those enum constants both headers declare (#define x rk_abi_x);
 * include ours; compare. The lists below name what both headers define
 * (the system one here is 6.1: fields and constants it lacks are not
 * checked; a field it calls "pad"/"resv2" that we name is compared under
 * both names).
 */
#include <stddef.h>
#include <linux/io_uring.h>

#include "harness.h"

/* ---- what both headers define -------------------------------------------- */
/* Constants (macros or enum constants in either header). */
#define RK_ABI_CONSTANTS(X)                                                                        \
	X(IORING_ACCEPT_MULTISHOT)                                                                 \
	X(IORING_ASYNC_CANCEL_ALL)                                                                 \
	X(IORING_ASYNC_CANCEL_ANY)                                                                 \
	X(IORING_ASYNC_CANCEL_FD)                                                                  \
	X(IORING_ASYNC_CANCEL_FD_FIXED)                                                            \
	X(IORING_ASYNC_CANCEL_OP)                                                                  \
	X(IORING_ASYNC_CANCEL_USERDATA)                                                            \
	X(IORING_CQE_BUFFER_SHIFT)                                                                 \
	X(IORING_CQE_F_BUFFER)                                                                     \
	X(IORING_CQE_F_MORE)                                                                       \
	X(IORING_CQE_F_NOTIF)                                                                      \
	X(IORING_CQE_F_SOCK_NONEMPTY)                                                              \
	X(IORING_CQ_EVENTFD_DISABLED)                                                              \
	X(IORING_ENTER_EXT_ARG)                                                                    \
	X(IORING_ENTER_GETEVENTS)                                                                  \
	X(IORING_ENTER_REGISTERED_RING)                                                            \
	X(IORING_ENTER_SQ_WAIT)                                                                    \
	X(IORING_ENTER_SQ_WAKEUP)                                                                  \
	X(IORING_FEAT_CQE_SKIP)                                                                    \
	X(IORING_FILE_INDEX_ALLOC)                                                                 \
	X(IORING_FEAT_CUR_PERSONALITY)                                                             \
	X(IORING_FEAT_EXT_ARG)                                                                     \
	X(IORING_FEAT_FAST_POLL)                                                                   \
	X(IORING_FEAT_LINKED_FILE)                                                                 \
	X(IORING_FEAT_NATIVE_WORKERS)                                                              \
	X(IORING_FEAT_NODROP)                                                                      \
	X(IORING_FEAT_POLL_32BITS)                                                                 \
	X(IORING_FEAT_RSRC_TAGS)                                                                   \
	X(IORING_FEAT_RW_CUR_POS)                                                                  \
	X(IORING_FEAT_SINGLE_MMAP)                                                                 \
	X(IORING_FEAT_SQPOLL_NONFIXED)                                                             \
	X(IORING_FEAT_SUBMIT_STABLE)                                                               \
	X(IORING_LINK_TIMEOUT_UPDATE)                                                              \
	X(IORING_MSG_DATA)                                                                         \
	X(IORING_MSG_RING_CQE_SKIP)                                                                \
	X(IORING_MSG_SEND_FD)                                                                      \
	X(IORING_OFF_CQ_RING)                                                                      \
	X(IORING_OFF_SQES)                                                                         \
	X(IORING_OFF_SQ_RING)                                                                      \
	X(IORING_OP_ACCEPT)                                                                        \
	X(IORING_OP_ASYNC_CANCEL)                                                                  \
	X(IORING_OP_CLOSE)                                                                         \
	X(IORING_OP_CONNECT)                                                                       \
	X(IORING_OP_EPOLL_CTL)                                                                     \
	X(IORING_OP_FADVISE)                                                                       \
	X(IORING_OP_FALLOCATE)                                                                     \
	X(IORING_OP_FGETXATTR)                                                                     \
	X(IORING_OP_FILES_UPDATE)                                                                  \
	X(IORING_OP_FSETXATTR)                                                                     \
	X(IORING_OP_FSYNC)                                                                         \
	X(IORING_OP_GETXATTR)                                                                      \
	X(IORING_OP_LINKAT)                                                                        \
	X(IORING_OP_LINK_TIMEOUT)                                                                  \
	X(IORING_OP_MADVISE)                                                                       \
	X(IORING_OP_MKDIRAT)                                                                       \
	X(IORING_OP_MSG_RING)                                                                      \
	X(IORING_OP_NOP)                                                                           \
	X(IORING_OP_OPENAT)                                                                        \
	X(IORING_OP_OPENAT2)                                                                       \
	X(IORING_OP_POLL_ADD)                                                                      \
	X(IORING_OP_POLL_REMOVE)                                                                   \
	X(IORING_OP_PROVIDE_BUFFERS)                                                               \
	X(IORING_OP_READ)                                                                          \
	X(IORING_OP_READV)                                                                         \
	X(IORING_OP_READ_FIXED)                                                                    \
	X(IORING_OP_RECV)                                                                          \
	X(IORING_OP_RECVMSG)                                                                       \
	X(IORING_OP_REMOVE_BUFFERS)                                                                \
	X(IORING_OP_RENAMEAT)                                                                      \
	X(IORING_OP_SEND)                                                                          \
	X(IORING_OP_SENDMSG)                                                                       \
	X(IORING_OP_SENDMSG_ZC)                                                                    \
	X(IORING_OP_SEND_ZC)                                                                       \
	X(IORING_OP_SETXATTR)                                                                      \
	X(IORING_OP_SHUTDOWN)                                                                      \
	X(IORING_OP_SOCKET)                                                                        \
	X(IORING_OP_SPLICE)                                                                        \
	X(IORING_OP_STATX)                                                                         \
	X(IORING_OP_SYMLINKAT)                                                                     \
	X(IORING_OP_SYNC_FILE_RANGE)                                                               \
	X(IORING_OP_TEE)                                                                           \
	X(IORING_OP_TIMEOUT)                                                                       \
	X(IORING_OP_TIMEOUT_REMOVE)                                                                \
	X(IORING_OP_UNLINKAT)                                                                      \
	X(IORING_OP_URING_CMD)                                                                     \
	X(IORING_OP_WRITE)                                                                         \
	X(IORING_OP_WRITEV)                                                                        \
	X(IORING_OP_WRITE_FIXED)                                                                   \
	X(IORING_RECVSEND_FIXED_BUF)                                                               \
	X(IORING_RECVSEND_POLL_FIRST)                                                              \
	X(IORING_RECV_MULTISHOT)                                                                   \
	X(IORING_REGISTER_BUFFERS)                                                                 \
	X(IORING_REGISTER_BUFFERS2)                                                                \
	X(IORING_REGISTER_BUFFERS_UPDATE)                                                          \
	X(IORING_REGISTER_ENABLE_RINGS)                                                            \
	X(IORING_REGISTER_EVENTFD)                                                                 \
	X(IORING_REGISTER_EVENTFD_ASYNC)                                                           \
	X(IORING_REGISTER_FILES)                                                                   \
	X(IORING_REGISTER_FILES2)                                                                  \
	X(IORING_REGISTER_FILES_UPDATE)                                                            \
	X(IORING_REGISTER_FILES_UPDATE2)                                                           \
	X(IORING_REGISTER_FILE_ALLOC_RANGE)                                                        \
	X(IORING_REGISTER_IOWQ_AFF)                                                                \
	X(IORING_REGISTER_IOWQ_MAX_WORKERS)                                                        \
	X(IORING_REGISTER_PBUF_RING)                                                               \
	X(IORING_REGISTER_PERSONALITY)                                                             \
	X(IORING_REGISTER_PROBE)                                                                   \
	X(IORING_REGISTER_RESTRICTIONS)                                                            \
	X(IORING_REGISTER_RING_FDS)                                                                \
	X(IORING_REGISTER_SYNC_CANCEL)                                                             \
	X(IORING_RSRC_REGISTER_SPARSE)                                                             \
	X(IORING_SEND_ZC_REPORT_USAGE)                                                             \
	X(IORING_SETUP_ATTACH_WQ)                                                                  \
	X(IORING_SETUP_CLAMP)                                                                      \
	X(IORING_SETUP_COOP_TASKRUN)                                                               \
	X(IORING_SETUP_CQE32)                                                                      \
	X(IORING_SETUP_CQSIZE)                                                                     \
	X(IORING_SETUP_DEFER_TASKRUN)                                                              \
	X(IORING_SETUP_IOPOLL)                                                                     \
	X(IORING_SETUP_R_DISABLED)                                                                 \
	X(IORING_SETUP_SINGLE_ISSUER)                                                              \
	X(IORING_SETUP_SQE128)                                                                     \
	X(IORING_SETUP_SQPOLL)                                                                     \
	X(IORING_SETUP_SQ_AFF)                                                                     \
	X(IORING_SETUP_SUBMIT_ALL)                                                                 \
	X(IORING_SETUP_TASKRUN_FLAG)                                                               \
	X(IORING_SQ_CQ_OVERFLOW)                                                                   \
	X(IORING_SQ_NEED_WAKEUP)                                                                   \
	X(IORING_SQ_TASKRUN)                                                                       \
	X(IORING_TIMEOUT_ABS)                                                                      \
	X(IORING_TIMEOUT_BOOTTIME)                                                                 \
	X(IORING_TIMEOUT_ETIME_SUCCESS)                                                            \
	X(IORING_TIMEOUT_REALTIME)                                                                 \
	X(IORING_TIMEOUT_UPDATE)                                                                   \
	X(IORING_UNREGISTER_BUFFERS)                                                               \
	X(IORING_UNREGISTER_EVENTFD)                                                               \
	X(IORING_UNREGISTER_FILES)                                                                 \
	X(IORING_UNREGISTER_IOWQ_AFF)                                                              \
	X(IORING_UNREGISTER_PBUF_RING)                                                             \
	X(IORING_UNREGISTER_PERSONALITY)                                                           \
	X(IORING_UNREGISTER_RING_FDS)                                                              \
	X(IOSQE_ASYNC)                                                                             \
	X(IOSQE_BUFFER_SELECT)                                                                     \
	X(IOSQE_CQE_SKIP_SUCCESS)                                                                  \
	X(IOSQE_FIXED_FILE)                                                                        \
	X(IOSQE_IO_DRAIN)                                                                          \
	X(IOSQE_IO_HARDLINK)                                                                       \
	X(IOSQE_IO_LINK)                                                                           \
	X(IO_URING_OP_SUPPORTED)

/* Fields: X(struct, field in <linux/io_uring.h>, field in ours). */
#define RK_ABI_FIELDS(X)                                                                           \
	X(io_uring_sqe, opcode, opcode)                                                            \
	X(io_uring_sqe, flags, flags)                                                              \
	X(io_uring_sqe, ioprio, ioprio)                                                            \
	X(io_uring_sqe, fd, fd)                                                                    \
	X(io_uring_sqe, off, off)                                                                  \
	X(io_uring_sqe, addr2, addr2)                                                              \
	X(io_uring_sqe, addr, addr)                                                                \
	X(io_uring_sqe, splice_off_in, splice_off_in)                                              \
	X(io_uring_sqe, len, len)                                                                  \
	X(io_uring_sqe, rw_flags, rw_flags)                                                        \
	X(io_uring_sqe, poll32_events, poll32_events)                                              \
	X(io_uring_sqe, msg_flags, msg_flags)                                                      \
	X(io_uring_sqe, timeout_flags, timeout_flags)                                              \
	X(io_uring_sqe, accept_flags, accept_flags)                                                \
	X(io_uring_sqe, cancel_flags, cancel_flags)                                                \
	X(io_uring_sqe, msg_ring_flags, msg_ring_flags)                                            \
	X(io_uring_sqe, user_data, user_data)                                                      \
	X(io_uring_sqe, buf_index, buf_index)                                                      \
	X(io_uring_sqe, buf_group, buf_group)                                                      \
	X(io_uring_sqe, personality, personality)                                                  \
	X(io_uring_sqe, splice_fd_in, splice_fd_in)                                                \
	X(io_uring_sqe, file_index, file_index)                                                    \
	X(io_uring_sqe, addr3, addr3)                                                              \
	X(io_uring_sqe, __pad2, __pad2)                                                            \
	X(io_uring_sqe, cmd, cmd)                                                                  \
	X(io_uring_cqe, user_data, user_data)                                                      \
	X(io_uring_cqe, res, res)                                                                  \
	X(io_uring_cqe, flags, flags)                                                              \
	X(io_sqring_offsets, head, head)                                                           \
	X(io_sqring_offsets, tail, tail)                                                           \
	X(io_sqring_offsets, ring_mask, ring_mask)                                                 \
	X(io_sqring_offsets, ring_entries, ring_entries)                                           \
	X(io_sqring_offsets, flags, flags)                                                         \
	X(io_sqring_offsets, dropped, dropped)                                                     \
	X(io_sqring_offsets, array, array)                                                         \
	X(io_sqring_offsets, resv1, resv1)                                                         \
	X(io_sqring_offsets, resv2, user_addr)                                                     \
	X(io_cqring_offsets, head, head)                                                           \
	X(io_cqring_offsets, tail, tail)                                                           \
	X(io_cqring_offsets, ring_mask, ring_mask)                                                 \
	X(io_cqring_offsets, ring_entries, ring_entries)                                           \
	X(io_cqring_offsets, overflow, overflow)                                                   \
	X(io_cqring_offsets, cqes, cqes)                                                           \
	X(io_cqring_offsets, flags, flags)                                                         \
	X(io_cqring_offsets, resv1, resv1)                                                         \
	X(io_cqring_offsets, resv2, user_addr)                                                     \
	X(io_uring_params, sq_entries, sq_entries)                                                 \
	X(io_uring_params, cq_entries, cq_entries)                                                 \
	X(io_uring_params, flags, flags)                                                           \
	X(io_uring_params, sq_thread_cpu, sq_thread_cpu)                                           \
	X(io_uring_params, sq_thread_idle, sq_thread_idle)                                         \
	X(io_uring_params, features, features)                                                     \
	X(io_uring_params, wq_fd, wq_fd)                                                           \
	X(io_uring_params, resv, resv)                                                             \
	X(io_uring_params, sq_off, sq_off)                                                         \
	X(io_uring_params, cq_off, cq_off)                                                         \
	X(io_uring_rsrc_update, offset, offset)                                                    \
	X(io_uring_rsrc_update, resv, resv)                                                        \
	X(io_uring_rsrc_update, data, data)                                                        \
	X(io_uring_rsrc_register, nr, nr)                                                          \
	X(io_uring_rsrc_register, flags, flags)                                                    \
	X(io_uring_rsrc_register, resv2, resv2)                                                    \
	X(io_uring_rsrc_register, data, data)                                                      \
	X(io_uring_rsrc_register, tags, tags)                                                      \
	X(io_uring_probe_op, op, op)                                                               \
	X(io_uring_probe_op, resv, resv)                                                           \
	X(io_uring_probe_op, flags, flags)                                                         \
	X(io_uring_probe_op, resv2, resv2)                                                         \
	X(io_uring_probe, last_op, last_op)                                                        \
	X(io_uring_probe, ops_len, ops_len)                                                        \
	X(io_uring_probe, resv, resv)                                                              \
	X(io_uring_probe, resv2, resv2)                                                            \
	X(io_uring_buf, addr, addr)                                                                \
	X(io_uring_buf, len, len)                                                                  \
	X(io_uring_buf, bid, bid)                                                                  \
	X(io_uring_buf, resv, resv)                                                                \
	X(io_uring_buf_ring, resv1, resv1)                                                         \
	X(io_uring_buf_ring, resv2, resv2)                                                         \
	X(io_uring_buf_ring, resv3, resv3)                                                         \
	X(io_uring_buf_ring, tail, tail)                                                           \
	X(io_uring_buf_reg, ring_addr, ring_addr)                                                  \
	X(io_uring_buf_reg, ring_entries, ring_entries)                                            \
	X(io_uring_buf_reg, bgid, bgid)                                                            \
	X(io_uring_buf_reg, pad, flags)                                                            \
	X(io_uring_getevents_arg, sigmask, sigmask)                                                \
	X(io_uring_getevents_arg, sigmask_sz, sigmask_sz)                                          \
	X(io_uring_getevents_arg, pad, min_wait_usec)                                              \
	X(io_uring_getevents_arg, ts, ts)                                                          \
	X(__kernel_timespec, tv_sec, tv_sec)                                                       \
	X(__kernel_timespec, tv_nsec, tv_nsec)

#define RK_ABI_STRUCTS(X)                                                                          \
	X(io_uring_sqe)                                                                            \
	X(io_uring_cqe)                                                                            \
	X(io_sqring_offsets)                                                                       \
	X(io_cqring_offsets)                                                                       \
	X(io_uring_params)                                                                         \
	X(io_uring_rsrc_update)                                                                    \
	X(io_uring_rsrc_register)                                                                  \
	X(io_uring_probe_op)                                                                       \
	X(io_uring_probe)                                                                          \
	X(io_uring_buf)                                                                            \
	X(io_uring_buf_ring)                                                                       \
	X(io_uring_buf_reg)                                                                        \
	X(io_uring_getevents_arg)                                                                  \
	X(__kernel_timespec)

/* ---- 1. the system's values, sizes and offsets ---------------------------- */
#define RK_SYS_CONST(n) sys_##n = (n),
#define RK_SYS_FIELD(s, fs, fo)                                                                    \
	sys_off_##s##_##fo = offsetof(struct s, fs),                                               \
	sys_size_##s##_##fo = sizeof(((struct s *)0)->fs),
#define RK_SYS_STRUCT(s) sys_size_##s = sizeof(struct s),
/* Flexible arrays have no size: offsets only. */
#define RK_ABI_FLEX_FIELDS(X) X(io_uring_probe, ops) X(io_uring_buf_ring, bufs)
#define RK_SYS_FLEX(s, f)     sys_off_##s##_##f = offsetof(struct s, f),
enum { RK_ABI_FLEX_FIELDS(RK_SYS_FLEX) };
enum { RK_ABI_CONSTANTS(RK_SYS_CONST) };
enum { RK_ABI_FIELDS(RK_SYS_FIELD) };
enum { RK_ABI_STRUCTS(RK_SYS_STRUCT) };

/* ---- 2. clear the system's names out of the way --------------------------- */
#undef IORING_ACCEPT_MULTISHOT
#undef IORING_ASYNC_CANCEL_ALL
#undef IORING_ASYNC_CANCEL_ANY
#undef IORING_ASYNC_CANCEL_FD
#undef IORING_ASYNC_CANCEL_FD_FIXED
#undef IORING_ASYNC_CANCEL_OP
#undef IORING_ASYNC_CANCEL_USERDATA
#undef IORING_CQE_F_BUFFER
#undef IORING_FILE_INDEX_ALLOC
#undef IORING_RSRC_REGISTER_SPARSE
#undef IORING_CQE_F_MORE
#undef IORING_CQE_F_NOTIF
#undef IORING_CQE_F_SOCK_NONEMPTY
#undef IORING_CQ_EVENTFD_DISABLED
#undef IORING_ENTER_EXT_ARG
#undef IORING_ENTER_GETEVENTS
#undef IORING_ENTER_REGISTERED_RING
#undef IORING_ENTER_SQ_WAIT
#undef IORING_ENTER_SQ_WAKEUP
#undef IORING_FEAT_CQE_SKIP
#undef IORING_FEAT_CUR_PERSONALITY
#undef IORING_FEAT_EXT_ARG
#undef IORING_FEAT_FAST_POLL
#undef IORING_FEAT_LINKED_FILE
#undef IORING_FEAT_NATIVE_WORKERS
#undef IORING_FEAT_NODROP
#undef IORING_FEAT_POLL_32BITS
#undef IORING_FEAT_RSRC_TAGS
#undef IORING_FEAT_RW_CUR_POS
#undef IORING_FEAT_SINGLE_MMAP
#undef IORING_FEAT_SQPOLL_NONFIXED
#undef IORING_FEAT_SUBMIT_STABLE
#undef IORING_LINK_TIMEOUT_UPDATE
#undef IORING_MSG_RING_CQE_SKIP
#undef IORING_OFF_CQ_RING
#undef IORING_OFF_SQES
#undef IORING_OFF_SQ_RING
#undef IORING_RECVSEND_FIXED_BUF
#undef IORING_RECVSEND_POLL_FIRST
#undef IORING_RECV_MULTISHOT
#undef IORING_SEND_ZC_REPORT_USAGE
#undef IORING_SETUP_ATTACH_WQ
#undef IORING_SETUP_CLAMP
#undef IORING_SETUP_COOP_TASKRUN
#undef IORING_SETUP_CQE32
#undef IORING_SETUP_CQSIZE
#undef IORING_SETUP_DEFER_TASKRUN
#undef IORING_SETUP_IOPOLL
#undef IORING_SETUP_R_DISABLED
#undef IORING_SETUP_SINGLE_ISSUER
#undef IORING_SETUP_SQE128
#undef IORING_SETUP_SQPOLL
#undef IORING_SETUP_SQ_AFF
#undef IORING_SETUP_SUBMIT_ALL
#undef IORING_SETUP_TASKRUN_FLAG
#undef IORING_SQ_CQ_OVERFLOW
#undef IORING_SQ_NEED_WAKEUP
#undef IORING_SQ_TASKRUN
#undef IORING_TIMEOUT_ABS
#undef IORING_TIMEOUT_BOOTTIME
#undef IORING_TIMEOUT_ETIME_SUCCESS
#undef IORING_TIMEOUT_REALTIME
#undef IORING_TIMEOUT_UPDATE
#undef IOSQE_ASYNC
#undef IOSQE_BUFFER_SELECT
#undef IOSQE_CQE_SKIP_SUCCESS
#undef IOSQE_FIXED_FILE
#undef IOSQE_IO_DRAIN
#undef IOSQE_IO_HARDLINK
#undef IOSQE_IO_LINK
#undef IO_URING_OP_SUPPORTED
#undef linux
#undef unix

#define IORING_OP_ACCEPT                 rk_abi_IORING_OP_ACCEPT
#define IORING_OP_ASYNC_CANCEL           rk_abi_IORING_OP_ASYNC_CANCEL
#define IORING_OP_CLOSE                  rk_abi_IORING_OP_CLOSE
#define IORING_OP_CONNECT                rk_abi_IORING_OP_CONNECT
#define IORING_OP_EPOLL_CTL              rk_abi_IORING_OP_EPOLL_CTL
#define IORING_OP_FADVISE                rk_abi_IORING_OP_FADVISE
#define IORING_OP_FALLOCATE              rk_abi_IORING_OP_FALLOCATE
#define IORING_OP_FGETXATTR              rk_abi_IORING_OP_FGETXATTR
#define IORING_OP_FILES_UPDATE           rk_abi_IORING_OP_FILES_UPDATE
#define IORING_OP_FSETXATTR              rk_abi_IORING_OP_FSETXATTR
#define IORING_OP_FSYNC                  rk_abi_IORING_OP_FSYNC
#define IORING_OP_GETXATTR               rk_abi_IORING_OP_GETXATTR
#define IORING_OP_LINKAT                 rk_abi_IORING_OP_LINKAT
#define IORING_OP_LINK_TIMEOUT           rk_abi_IORING_OP_LINK_TIMEOUT
#define IORING_OP_MADVISE                rk_abi_IORING_OP_MADVISE
#define IORING_OP_MKDIRAT                rk_abi_IORING_OP_MKDIRAT
#define IORING_OP_MSG_RING               rk_abi_IORING_OP_MSG_RING
#define IORING_OP_NOP                    rk_abi_IORING_OP_NOP
#define IORING_OP_OPENAT                 rk_abi_IORING_OP_OPENAT
#define IORING_OP_OPENAT2                rk_abi_IORING_OP_OPENAT2
#define IORING_OP_POLL_ADD               rk_abi_IORING_OP_POLL_ADD
#define IORING_OP_POLL_REMOVE            rk_abi_IORING_OP_POLL_REMOVE
#define IORING_OP_PROVIDE_BUFFERS        rk_abi_IORING_OP_PROVIDE_BUFFERS
#define IORING_OP_READ                   rk_abi_IORING_OP_READ
#define IORING_OP_READV                  rk_abi_IORING_OP_READV
#define IORING_OP_READ_FIXED             rk_abi_IORING_OP_READ_FIXED
#define IORING_OP_RECV                   rk_abi_IORING_OP_RECV
#define IORING_OP_RECVMSG                rk_abi_IORING_OP_RECVMSG
#define IORING_OP_REMOVE_BUFFERS         rk_abi_IORING_OP_REMOVE_BUFFERS
#define IORING_OP_RENAMEAT               rk_abi_IORING_OP_RENAMEAT
#define IORING_OP_SEND                   rk_abi_IORING_OP_SEND
#define IORING_OP_SENDMSG                rk_abi_IORING_OP_SENDMSG
#define IORING_OP_SENDMSG_ZC             rk_abi_IORING_OP_SENDMSG_ZC
#define IORING_OP_SEND_ZC                rk_abi_IORING_OP_SEND_ZC
#define IORING_OP_SETXATTR               rk_abi_IORING_OP_SETXATTR
#define IORING_OP_SHUTDOWN               rk_abi_IORING_OP_SHUTDOWN
#define IORING_OP_SOCKET                 rk_abi_IORING_OP_SOCKET
#define IORING_OP_SPLICE                 rk_abi_IORING_OP_SPLICE
#define IORING_OP_STATX                  rk_abi_IORING_OP_STATX
#define IORING_OP_SYMLINKAT              rk_abi_IORING_OP_SYMLINKAT
#define IORING_OP_SYNC_FILE_RANGE        rk_abi_IORING_OP_SYNC_FILE_RANGE
#define IORING_OP_TEE                    rk_abi_IORING_OP_TEE
#define IORING_OP_TIMEOUT                rk_abi_IORING_OP_TIMEOUT
#define IORING_OP_TIMEOUT_REMOVE         rk_abi_IORING_OP_TIMEOUT_REMOVE
#define IORING_OP_UNLINKAT               rk_abi_IORING_OP_UNLINKAT
#define IORING_OP_URING_CMD              rk_abi_IORING_OP_URING_CMD
#define IORING_OP_WRITE                  rk_abi_IORING_OP_WRITE
#define IORING_OP_WRITEV                 rk_abi_IORING_OP_WRITEV
#define IORING_OP_WRITE_FIXED            rk_abi_IORING_OP_WRITE_FIXED
#define IORING_REGISTER_BUFFERS          rk_abi_IORING_REGISTER_BUFFERS
#define IORING_REGISTER_BUFFERS2         rk_abi_IORING_REGISTER_BUFFERS2
#define IORING_REGISTER_BUFFERS_UPDATE   rk_abi_IORING_REGISTER_BUFFERS_UPDATE
#define IORING_REGISTER_ENABLE_RINGS     rk_abi_IORING_REGISTER_ENABLE_RINGS
#define IORING_REGISTER_EVENTFD          rk_abi_IORING_REGISTER_EVENTFD
#define IORING_REGISTER_EVENTFD_ASYNC    rk_abi_IORING_REGISTER_EVENTFD_ASYNC
#define IORING_REGISTER_FILES            rk_abi_IORING_REGISTER_FILES
#define IORING_REGISTER_FILES2           rk_abi_IORING_REGISTER_FILES2
#define IORING_REGISTER_FILES_UPDATE     rk_abi_IORING_REGISTER_FILES_UPDATE
#define IORING_REGISTER_FILES_UPDATE2    rk_abi_IORING_REGISTER_FILES_UPDATE2
#define IORING_REGISTER_FILE_ALLOC_RANGE rk_abi_IORING_REGISTER_FILE_ALLOC_RANGE
#define IORING_REGISTER_IOWQ_AFF         rk_abi_IORING_REGISTER_IOWQ_AFF
#define IORING_REGISTER_IOWQ_MAX_WORKERS rk_abi_IORING_REGISTER_IOWQ_MAX_WORKERS
#define IORING_REGISTER_PBUF_RING        rk_abi_IORING_REGISTER_PBUF_RING
#define IORING_REGISTER_PERSONALITY      rk_abi_IORING_REGISTER_PERSONALITY
#define IORING_REGISTER_PROBE            rk_abi_IORING_REGISTER_PROBE
#define IORING_REGISTER_RESTRICTIONS     rk_abi_IORING_REGISTER_RESTRICTIONS
#define IORING_REGISTER_RING_FDS         rk_abi_IORING_REGISTER_RING_FDS
#define IORING_REGISTER_SYNC_CANCEL      rk_abi_IORING_REGISTER_SYNC_CANCEL
#define IORING_UNREGISTER_BUFFERS        rk_abi_IORING_UNREGISTER_BUFFERS
#define IORING_UNREGISTER_EVENTFD        rk_abi_IORING_UNREGISTER_EVENTFD
#define IORING_UNREGISTER_FILES          rk_abi_IORING_UNREGISTER_FILES
#define IORING_UNREGISTER_IOWQ_AFF       rk_abi_IORING_UNREGISTER_IOWQ_AFF
#define IORING_UNREGISTER_PBUF_RING      rk_abi_IORING_UNREGISTER_PBUF_RING
#define IORING_UNREGISTER_PERSONALITY    rk_abi_IORING_UNREGISTER_PERSONALITY
#define IORING_UNREGISTER_RING_FDS       rk_abi_IORING_UNREGISTER_RING_FDS

#define io_uring_sqe           rk_abi_io_uring_sqe
#define io_uring_cqe           rk_abi_io_uring_cqe
#define io_sqring_offsets      rk_abi_io_sqring_offsets
#define io_cqring_offsets      rk_abi_io_cqring_offsets
#define io_uring_params        rk_abi_io_uring_params
#define io_uring_rsrc_update   rk_abi_io_uring_rsrc_update
#define io_uring_rsrc_register rk_abi_io_uring_rsrc_register
#define io_uring_probe_op      rk_abi_io_uring_probe_op
#define io_uring_probe         rk_abi_io_uring_probe
#define io_uring_buf           rk_abi_io_uring_buf
#define io_uring_buf_ring      rk_abi_io_uring_buf_ring
#define io_uring_buf_reg       rk_abi_io_uring_buf_reg
#define io_uring_getevents_arg rk_abi_io_uring_getevents_arg
#define __kernel_timespec      rk_abi___kernel_timespec

/* ---- 3. ours -------------------------------------------------------------- */
#include "rocket/abi/io_uring.h"

/* ---- 4. compare (macro arguments not next to ## expand to our names) ------ */
#define RK_CMP_CONST(n) _Static_assert((long long)sys_##n == (long long)(n), "value of " #n);
#define RK_CMP_FLEX(s, f)                                                                          \
	_Static_assert(sys_off_##s##_##f == offsetof(struct s, f), "offset of " #s "." #f);
#define RK_CMP_FIELD(s, fs, fo)                                                                    \
	_Static_assert(sys_off_##s##_##fo == offsetof(struct s, fo), "offset of " #s "." #fo);     \
	_Static_assert(sys_size_##s##_##fo == sizeof(((struct s *)0)->fo), "size of " #s "." #fo);
#define RK_CMP_STRUCT(s) _Static_assert(sys_size_##s == sizeof(struct s), "size of " #s);
RK_ABI_CONSTANTS(RK_CMP_CONST)
RK_ABI_FIELDS(RK_CMP_FIELD)
RK_ABI_STRUCTS(RK_CMP_STRUCT)
RK_ABI_FLEX_FIELDS(RK_CMP_FLEX)

/* io_uring_buf_reg: what the system header calls resv[3] (u64) is our
 * min_left and resv[5] (u32), the newest kernel's layout: the same bytes. */
_Static_assert(sys_off_io_uring_buf_reg_flags + sys_size_io_uring_buf_reg_flags ==
		       offsetof(struct io_uring_buf_reg, min_left),
	       "min_left follows flags");
_Static_assert(offsetof(struct io_uring_buf_reg, min_left) == 16, "min_left at 16");
_Static_assert(offsetof(struct io_uring_buf_reg, resv) == 20, "resv at 20");
_Static_assert(sizeof(struct io_uring_buf_reg) == 40, "io_uring_buf_reg is 40 bytes");

/* The sizes the kernel documents, independent of any header. */
_Static_assert(sizeof(struct io_uring_sqe) == 64, "SQE is 64 bytes");
_Static_assert(sizeof(struct io_uring_cqe) == 16, "CQE is 16 bytes");
_Static_assert(sizeof(struct io_uring_params) == 120, "io_uring_params is 120 bytes");
_Static_assert(sizeof(struct io_uring_buf) == 16, "io_uring_buf is 16 bytes");
_Static_assert(offsetof(struct io_uring_buf_ring, tail) == 14, "buf ring tail at 14");
_Static_assert(sizeof(struct io_uring_buf_status) == 40, "io_uring_buf_status is 40 bytes");
_Static_assert(RK_IORING_OP_KNOWN > IORING_OP_MSG_RING, "opcode enum complete");

/* The checks above are all at compile time; this makes the file a test.
 * It counts what the lists compare, exactly: an entry that drops out of a
 * list (and so out of every check above) changes a count and fails here.
 * Adding one means counting it in. */
#define RK_COUNT(...) +1
enum {
	rk_abi_n_constants = 0 RK_ABI_CONSTANTS(RK_COUNT),
	rk_abi_n_fields = 0 RK_ABI_FIELDS(RK_COUNT),
	rk_abi_n_structs = 0 RK_ABI_STRUCTS(RK_COUNT),
	rk_abi_n_flex = 0 RK_ABI_FLEX_FIELDS(RK_COUNT),
};

TEST(abi_matches_the_system_header_at_compile_time)
{
	CHECK_EQ(rk_abi_n_constants, 149);
	CHECK_EQ(rk_abi_n_fields, 90);
	CHECK_EQ(rk_abi_n_structs, 14);
	CHECK_EQ(rk_abi_n_flex, 2);
	CHECK_EQ(sizeof(struct io_uring_sqe), 64);
}
