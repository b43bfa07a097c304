/* include/rocket/abi/io_uring.h - the io_uring ABI, written out by hand.
 *
 * Follows the kernel's include/uapi/linux/io_uring.h and the man pages
 * io_uring_setup(2), io_uring_enter(2), io_uring_register(2),
 * io_uring_register_buf_ring(3). Names keep the kernel's spelling so a reader
 * can grep the man pages for them; each constant says which kernel release
 * brought it. Only what Rocket (and its probe tool) uses is defined here.
 * tests/test_abi.c checks every size and offset against the system header.
 *
 * Read next: include/rocket/abi/linux.h.
 */
#ifndef ROCKET_ABI_IO_URING_H
#define ROCKET_ABI_IO_URING_H

#include <stdint.h>

/* ---- Submission queue entry (64 bytes), 5.1 -------------------------- */
struct io_uring_sqe {
	uint8_t opcode;  /* IORING_OP_* */
	uint8_t flags;   /* IOSQE_* */
	uint16_t ioprio; /* recv/send/accept use it for per-op flags */
	int32_t fd;
	union {
		uint64_t off;
		uint64_t addr2;
	};
	union {
		uint64_t addr;
		uint64_t splice_off_in;
	};
	uint32_t len;
	union { /* the per-opcode flags word */
		uint32_t rw_flags;
		uint32_t poll32_events;
		uint32_t msg_flags;
		uint32_t timeout_flags;
		uint32_t accept_flags;
		uint32_t cancel_flags;
		uint32_t msg_ring_flags;
		uint32_t nop_flags;
		uint32_t splice_flags;
	};
	uint64_t user_data; /* handed back untouched in the CQE */
	union {
		uint16_t buf_index; /* registered buffer index */
		uint16_t buf_group; /* provided-buffer group (IOSQE_BUFFER_SELECT) */
	} __attribute__((packed));
	uint16_t personality;
	union {
		int32_t splice_fd_in;
		uint32_t file_index; /* direct-descriptor slot + 1, or ALLOC (5.15) */
		uint32_t optlen;     /* multishot recv: bytes before it ends (6.16) */
	};
	union {
		struct {
			uint64_t addr3;
			uint64_t __pad2[1];
		};
		uint8_t cmd[0];
	};
};

/* sqe->flags */
#define IOSQE_FIXED_FILE       (1U << 0) /* fd is a registered-file index, 5.1 */
#define IOSQE_IO_DRAIN         (1U << 1) /* 5.2 */
#define IOSQE_IO_LINK          (1U << 2) /* 5.3 */
#define IOSQE_IO_HARDLINK      (1U << 3) /* 5.5 */
#define IOSQE_ASYNC            (1U << 4) /* 5.6 */
#define IOSQE_BUFFER_SELECT    (1U << 5) /* pick a provided buffer, 5.7 */
#define IOSQE_CQE_SKIP_SUCCESS (1U << 6) /* no CQE when it succeeds, 5.17 */

/* ---- Opcodes (sqe->opcode) ---------------------------------------------- */
enum {
	IORING_OP_NOP, /* 5.1 */
	IORING_OP_READV,
	IORING_OP_WRITEV,
	IORING_OP_FSYNC,
	IORING_OP_READ_FIXED,
	IORING_OP_WRITE_FIXED,
	IORING_OP_POLL_ADD,
	IORING_OP_POLL_REMOVE,
	IORING_OP_SYNC_FILE_RANGE, /* 5.2 */
	IORING_OP_SENDMSG,         /* 5.3 */
	IORING_OP_RECVMSG,
	IORING_OP_TIMEOUT,        /* 5.4 */
	IORING_OP_TIMEOUT_REMOVE, /* 5.5 */
	IORING_OP_ACCEPT,
	IORING_OP_ASYNC_CANCEL,
	IORING_OP_LINK_TIMEOUT,
	IORING_OP_CONNECT,
	IORING_OP_FALLOCATE, /* 5.6 */
	IORING_OP_OPENAT,
	IORING_OP_CLOSE,
	IORING_OP_FILES_UPDATE,
	IORING_OP_STATX,
	IORING_OP_READ,
	IORING_OP_WRITE,
	IORING_OP_FADVISE,
	IORING_OP_MADVISE,
	IORING_OP_SEND,
	IORING_OP_RECV,
	IORING_OP_OPENAT2,
	IORING_OP_EPOLL_CTL,
	IORING_OP_SPLICE, /* 5.7 */
	IORING_OP_PROVIDE_BUFFERS,
	IORING_OP_REMOVE_BUFFERS,
	IORING_OP_TEE,      /* 5.8 */
	IORING_OP_SHUTDOWN, /* 5.11 */
	IORING_OP_RENAMEAT,
	IORING_OP_UNLINKAT,
	IORING_OP_MKDIRAT, /* 5.15 */
	IORING_OP_SYMLINKAT,
	IORING_OP_LINKAT,
	IORING_OP_MSG_RING,  /* 5.18 */
	IORING_OP_FSETXATTR, /* 5.19 */
	IORING_OP_SETXATTR,
	IORING_OP_FGETXATTR,
	IORING_OP_GETXATTR,
	IORING_OP_SOCKET,
	IORING_OP_URING_CMD,
	IORING_OP_SEND_ZC,        /* 6.0 */
	IORING_OP_SENDMSG_ZC,     /* 6.1 */
	IORING_OP_READ_MULTISHOT, /* 6.7 */
	IORING_OP_WAITID,
	IORING_OP_FUTEX_WAIT,
	IORING_OP_FUTEX_WAKE,
	IORING_OP_FUTEX_WAITV,
	IORING_OP_FIXED_FD_INSTALL, /* 6.8 */
	IORING_OP_FTRUNCATE,        /* 6.9 */
	IORING_OP_BIND,             /* 6.11 */
	IORING_OP_LISTEN,
	IORING_OP_RECV_ZC, /* 6.15 */
	IORING_OP_EPOLL_WAIT,
	IORING_OP_READV_FIXED,
	IORING_OP_WRITEV_FIXED,
	IORING_OP_PIPE,    /* 6.16 */
	RK_IORING_OP_KNOWN /* first opcode this header does not name */
};

/* sqe->file_index of ACCEPT/OPENAT/SOCKET and of MSG_RING's IORING_MSG_SEND_FD:
 * the kernel picks a free slot of the sparse fixed-file table and returns
 * it in cqe->res (5.19; otherwise file_index is slot + 1, 0 meaning "a
 * regular fd"). */
#define IORING_FILE_INDEX_ALLOC (~0U)

/* sqe->ioprio for send/recv (5.19+) */
#define IORING_RECVSEND_POLL_FIRST  (1U << 0)
#define IORING_RECV_MULTISHOT       (1U << 1) /* 6.0 */
#define IORING_RECVSEND_FIXED_BUF   (1U << 2)
#define IORING_SEND_ZC_REPORT_USAGE (1U << 3)
#define IORING_RECVSEND_BUNDLE      (1U << 4) /* several buffers per CQE, 6.10 */
/* sqe->ioprio for accept */
#define IORING_ACCEPT_MULTISHOT  (1U << 0) /* 5.19 */
#define IORING_ACCEPT_DONTWAIT   (1U << 1) /* 6.10 */
#define IORING_ACCEPT_POLL_FIRST (1U << 2)

/* sqe->timeout_flags */
#define IORING_TIMEOUT_ABS           (1U << 0)
#define IORING_TIMEOUT_UPDATE        (1U << 1)
#define IORING_TIMEOUT_BOOTTIME      (1U << 2)
#define IORING_TIMEOUT_REALTIME      (1U << 3)
#define IORING_LINK_TIMEOUT_UPDATE   (1U << 4)
#define IORING_TIMEOUT_ETIME_SUCCESS (1U << 5)
#define IORING_TIMEOUT_MULTISHOT     (1U << 6) /* 6.4 */

/* sqe->cancel_flags */
#define IORING_ASYNC_CANCEL_ALL      (1U << 0) /* 5.19 */
#define IORING_ASYNC_CANCEL_FD       (1U << 1)
#define IORING_ASYNC_CANCEL_ANY      (1U << 2)
#define IORING_ASYNC_CANCEL_FD_FIXED (1U << 3) /* 6.0 */
#define IORING_ASYNC_CANCEL_USERDATA (1U << 4) /* 6.6 */
#define IORING_ASYNC_CANCEL_OP       (1U << 5)

/* IORING_OP_MSG_RING: sqe->addr is the command, sqe->msg_ring_flags flags */
#define IORING_MSG_DATA 0 /* post a CQE with res = sqe->len, user_data = sqe->off */
/* Install our fixed file sqe->addr3 (a slot index) in the target's table at
 * sqe->file_index (slot + 1, or IORING_FILE_INDEX_ALLOC) and post a CQE
 * there {user_data = sqe->off, res = the slot}. The source slot keeps its
 * file (io_uring/msg_ring.c takes a reference): closing it is the sender's
 * business. 6.0 */
#define IORING_MSG_SEND_FD 1
/* No CQE in the *target* ring: for IORING_MSG_SEND_FD only (MSG_DATA refuses
 * it with -EINVAL: its CQE is the message). The sender's own CQE is
 * IOSQE_CQE_SKIP_SUCCESS's business. 6.0 */
#define IORING_MSG_RING_CQE_SKIP   (1U << 0)
#define IORING_MSG_RING_FLAGS_PASS (1U << 1) /* target cqe->flags = sqe->file_index, 6.3 */

/* ---- Completion queue entry (16 bytes), 5.1 ---------------------------- */
struct io_uring_cqe {
	uint64_t user_data; /* the sqe's user_data */
	int32_t res;        /* result, or -errno */
	uint32_t flags;     /* IORING_CQE_F_*; upper 16 bits: buffer id */
};

#define IORING_CQE_F_BUFFER        (1U << 0) /* upper 16 bits hold the buffer id, 5.7 */
#define IORING_CQE_F_MORE          (1U << 1) /* multishot: more CQEs will follow, 5.13 */
#define IORING_CQE_F_SOCK_NONEMPTY (1U << 2) /* more data is waiting in the socket, 5.19 */
#define IORING_CQE_F_NOTIF         (1U << 3) /* zero-copy notification, 6.0 */
#define IORING_CQE_F_BUF_MORE      (1U << 4) /* incremental buffer not used up, 6.12 */
#define IORING_CQE_BUFFER_SHIFT    16

/* ---- io_uring_setup(2) -------------------------------------------------- */
struct io_sqring_offsets {
	uint32_t head, tail, ring_mask, ring_entries, flags, dropped, array;
	uint32_t resv1;
	uint64_t user_addr; /* IORING_SETUP_NO_MMAP, 6.5 */
};

struct io_cqring_offsets {
	uint32_t head, tail, ring_mask, ring_entries, overflow, cqes, flags;
	uint32_t resv1;
	uint64_t user_addr;
};

struct io_uring_params {
	uint32_t sq_entries;     /* in: wanted; out: granted */
	uint32_t cq_entries;     /* in with IORING_SETUP_CQSIZE; out: granted */
	uint32_t flags;          /* IORING_SETUP_* */
	uint32_t sq_thread_cpu;  /* with IORING_SETUP_SQ_AFF */
	uint32_t sq_thread_idle; /* SQPOLL idle time, ms */
	uint32_t features;       /* out: IORING_FEAT_* */
	uint32_t wq_fd;
	uint32_t resv[3];
	struct io_sqring_offsets sq_off;
	struct io_cqring_offsets cq_off;
};

#define IORING_SETUP_IOPOLL             (1U << 0)
#define IORING_SETUP_SQPOLL             (1U << 1) /* a kernel thread polls the SQ */
#define IORING_SETUP_SQ_AFF             (1U << 2)
#define IORING_SETUP_CQSIZE             (1U << 3) /* 5.5 */
#define IORING_SETUP_CLAMP              (1U << 4) /* 5.6 */
#define IORING_SETUP_ATTACH_WQ          (1U << 5)
#define IORING_SETUP_R_DISABLED         (1U << 6)  /* 5.10 */
#define IORING_SETUP_SUBMIT_ALL         (1U << 7)  /* 5.18 */
#define IORING_SETUP_COOP_TASKRUN       (1U << 8)  /* no IPI to run task work, 5.19 */
#define IORING_SETUP_TASKRUN_FLAG       (1U << 9)  /* IORING_SQ_TASKRUN tells, 5.19 */
#define IORING_SETUP_SQE128             (1U << 10) /* 5.19 */
#define IORING_SETUP_CQE32              (1U << 11)
#define IORING_SETUP_SINGLE_ISSUER      (1U << 12) /* one task submits, 6.0 */
#define IORING_SETUP_DEFER_TASKRUN      (1U << 13) /* task work only in enter, 6.1 */
#define IORING_SETUP_NO_MMAP            (1U << 14) /* 6.5 */
#define IORING_SETUP_REGISTERED_FD_ONLY (1U << 15) /* 6.5 */
#define IORING_SETUP_NO_SQARRAY         (1U << 16) /* SQEs indexed by tail, 6.6 */
#define IORING_SETUP_HYBRID_IOPOLL      (1U << 17) /* 6.13 */

/* params.features */
#define IORING_FEAT_SINGLE_MMAP     (1U << 0) /* SQ and CQ share one mapping, 5.4 */
#define IORING_FEAT_NODROP          (1U << 1) /* a full CQ queues CQEs, 5.5 */
#define IORING_FEAT_SUBMIT_STABLE   (1U << 2)
#define IORING_FEAT_RW_CUR_POS      (1U << 3) /* 5.6 */
#define IORING_FEAT_CUR_PERSONALITY (1U << 4)
#define IORING_FEAT_FAST_POLL       (1U << 5)  /* 5.7 */
#define IORING_FEAT_POLL_32BITS     (1U << 6)  /* 5.9 */
#define IORING_FEAT_SQPOLL_NONFIXED (1U << 7)  /* 5.11 */
#define IORING_FEAT_EXT_ARG         (1U << 8)  /* IORING_ENTER_EXT_ARG, 5.11 */
#define IORING_FEAT_NATIVE_WORKERS  (1U << 9)  /* 5.12 */
#define IORING_FEAT_RSRC_TAGS       (1U << 10) /* 5.13 */
#define IORING_FEAT_CQE_SKIP        (1U << 11) /* 5.17 */
#define IORING_FEAT_LINKED_FILE     (1U << 12)
#define IORING_FEAT_REG_REG_RING    (1U << 13) /* 6.3 */
#define IORING_FEAT_RECVSEND_BUNDLE (1U << 14) /* 6.10 */
#define IORING_FEAT_MIN_TIMEOUT     (1U << 15) /* 6.12 */
#define IORING_FEAT_RW_ATTR         (1U << 16) /* 6.14 */
#define IORING_FEAT_NO_IOWAIT       (1U << 17) /* 6.15 */

/* mmap(2) offsets of the ring fd */
#define IORING_OFF_SQ_RING    0ULL
#define IORING_OFF_CQ_RING    0x8000000ULL
#define IORING_OFF_SQES       0x10000000ULL
#define IORING_OFF_PBUF_RING  0x80000000ULL
#define IORING_OFF_PBUF_SHIFT 16

/* The SQ ring's flags word, written by the kernel */
#define IORING_SQ_NEED_WAKEUP (1U << 0) /* SQPOLL thread sleeps: enter with SQ_WAKEUP */
#define IORING_SQ_CQ_OVERFLOW (1U << 1) /* CQEs wait in the overflow list, 5.8 */
#define IORING_SQ_TASKRUN     (1U << 2) /* task work pending, 5.19 */
/* The CQ ring's flags word, written by us */
#define IORING_CQ_EVENTFD_DISABLED (1U << 0)

/* ---- io_uring_enter(2) -------------------------------------------------- */
#define IORING_ENTER_GETEVENTS       (1U << 0)
#define IORING_ENTER_SQ_WAKEUP       (1U << 1)
#define IORING_ENTER_SQ_WAIT         (1U << 2)
#define IORING_ENTER_EXT_ARG         (1U << 3) /* arg is io_uring_getevents_arg, 5.11 */
#define IORING_ENTER_REGISTERED_RING (1U << 4) /* fd is a registered ring index, 5.18 */
#define IORING_ENTER_ABS_TIMER       (1U << 5) /* 6.12 */
#define IORING_ENTER_EXT_ARG_REG     (1U << 6) /* 6.13 */
#define IORING_ENTER_NO_IOWAIT       (1U << 7) /* 6.15 */

struct __kernel_timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};

struct io_uring_getevents_arg {
	uint64_t sigmask;
	uint32_t sigmask_sz;
	uint32_t min_wait_usec; /* was pad until 6.12 */
	uint64_t ts;            /* struct __kernel_timespec * */
};

/* ---- io_uring_register(2) ----------------------------------------------- */
enum {
	IORING_REGISTER_BUFFERS = 0,
	IORING_UNREGISTER_BUFFERS = 1,
	IORING_REGISTER_FILES = 2,
	IORING_UNREGISTER_FILES = 3,
	IORING_REGISTER_EVENTFD = 4,
	IORING_UNREGISTER_EVENTFD = 5,
	IORING_REGISTER_FILES_UPDATE = 6,
	IORING_REGISTER_EVENTFD_ASYNC = 7,
	IORING_REGISTER_PROBE = 8, /* 5.6 */
	IORING_REGISTER_PERSONALITY = 9,
	IORING_UNREGISTER_PERSONALITY = 10,
	IORING_REGISTER_RESTRICTIONS = 11, /* 5.10 */
	IORING_REGISTER_ENABLE_RINGS = 12,
	IORING_REGISTER_FILES2 = 13, /* 5.13 */
	IORING_REGISTER_FILES_UPDATE2 = 14,
	IORING_REGISTER_BUFFERS2 = 15,
	IORING_REGISTER_BUFFERS_UPDATE = 16,
	IORING_REGISTER_IOWQ_AFF = 17, /* 5.14 */
	IORING_UNREGISTER_IOWQ_AFF = 18,
	IORING_REGISTER_IOWQ_MAX_WORKERS = 19, /* 5.15 */
	IORING_REGISTER_RING_FDS = 20,         /* 5.18 */
	IORING_UNREGISTER_RING_FDS = 21,
	IORING_REGISTER_PBUF_RING = 22, /* 5.19 */
	IORING_UNREGISTER_PBUF_RING = 23,
	IORING_REGISTER_SYNC_CANCEL = 24, /* 6.0 */
	IORING_REGISTER_FILE_ALLOC_RANGE = 25,
	IORING_REGISTER_PBUF_STATUS = 26, /* 6.8 */
};
/* or'ed into the opcode: the fd argument is a registered ring index, 6.3 */
#define IORING_REGISTER_USE_REGISTERED_RING (1U << 31)

/* IORING_REGISTER_FILES2 (5.13): with IORING_RSRC_REGISTER_SPARSE (5.19) and
 * data = 0, a table of nr empty slots for direct descriptors. */
struct io_uring_rsrc_register {
	uint32_t nr;
	uint32_t flags; /* IORING_RSRC_REGISTER_SPARSE */
	uint64_t resv2;
	uint64_t data; /* int fds[nr], or 0 when sparse */
	uint64_t tags;
};
#define IORING_RSRC_REGISTER_SPARSE (1U << 0)

/* IORING_REGISTER_RING_FDS / FILES_UPDATE2 */
struct io_uring_rsrc_update {
	uint32_t offset; /* slot, or -1U: "pick one" (the kernel writes it back) */
	uint32_t resv;
	uint64_t data; /* the fd */
};

/* IORING_REGISTER_PROBE */
#define IO_URING_OP_SUPPORTED (1U << 0)
struct io_uring_probe_op {
	uint8_t op;
	uint8_t resv;
	uint16_t flags; /* IO_URING_OP_SUPPORTED */
	uint32_t resv2;
};
struct io_uring_probe {
	uint8_t last_op; /* last opcode the kernel knows */
	uint8_t ops_len;
	uint16_t resv;
	uint32_t resv2[3];
	struct io_uring_probe_op ops[];
};

/* ---- Provided-buffer rings (IORING_REGISTER_PBUF_RING), 5.19 ------------ */
struct io_uring_buf {
	uint64_t addr;
	uint32_t len;
	uint16_t bid; /* comes back in the CQE's upper 16 flag bits */
	uint16_t resv;
};

/* The ring is an array of io_uring_buf; the tail lives in the resv field of
 * entry 0 (offset 14), written by us with store-release. */
struct io_uring_buf_ring {
	union {
		struct {
			uint64_t resv1;
			uint32_t resv2;
			uint16_t resv3;
			uint16_t tail;
		};
		struct io_uring_buf bufs[0];
	};
};

struct io_uring_buf_reg {
	uint64_t ring_addr;
	uint32_t ring_entries; /* a power of two */
	uint16_t bgid;
	uint16_t flags; /* IOU_PBUF_RING_* (was pad until 6.4) */
	/* Incremental rings: a buffer with fewer bytes left than this is done
	 * and the next one is used (0: any byte left will do). Carved out of
	 * resv after 6.18 and marked for stable, so updated 6.12+ kernels may
	 * know it; a kernel that does not requires 0, and one that does
	 * refuses it without IOU_PBUF_RING_INC. */
	uint32_t min_left;
	uint32_t resv[5];
};
#define IOU_PBUF_RING_MMAP (1U << 0) /* the kernel allocates the ring, 6.4 */
#define IOU_PBUF_RING_INC  (1U << 1) /* buffers consumed incrementally, 6.12 */

struct io_uring_buf_status {
	uint32_t buf_group;
	uint32_t head; /* out: the kernel's head */
	uint32_t resv[8];
};

#endif
