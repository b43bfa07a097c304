/* include/rocket/abi/fs.h - the file-system ABI of static files: openat2's
 * struct open_how and RESOLVE_* flags (openat2(2), include/uapi/linux/
 * openat2.h), statx(2)'s struct statx and STATX_* mask (include/uapi/linux/
 * stat.h), the file type bits of st_mode (inode(7)) and getdents64(2)'s
 * records. Each with the kernel release that brought it; values are the
 * same on x86-64 and aarch64. Checked against the system's headers by
 * tests/test_abi_fs.c. The kernel's names, as in io_uring.h: hosted code
 * must not include this beside libc's <sys/stat.h> (it has a struct statx).
 * Read next: include/rocket/arch.h.
 */
#ifndef ROCKET_ABI_FS_H
#define ROCKET_ABI_FS_H

#include <stdint.h>

/* ---- open(2) flags beyond linux.h's (asm-generic, also aarch64's) --------- */
#define O_NOCTTY 0400
#define O_PATH   010000000 /* 2.6.39: a handle for *at() and statx, no read access */

/* ---- openat2(2), Linux 5.6 (IORING_OP_OPENAT2: 5.6) ----------------------- */
struct open_how {
	uint64_t flags;   /* O_* */
	uint64_t mode;    /* with O_CREAT/O_TMPFILE only; else must be 0 */
	uint64_t resolve; /* RESOLVE_* */
};
#define RESOLVE_NO_XDEV       0x01 /* 5.6: stay on one mount */
#define RESOLVE_NO_MAGICLINKS 0x02 /* 5.6: no /proc/self/fd/N-style links */
#define RESOLVE_NO_SYMLINKS   0x04 /* 5.6: no symlinks at all (ELOOP) */
#define RESOLVE_BENEATH                                                                            \
	0x08                 /* 5.6: never above dirfd: no "..", no absolute
                                      paths or symlinks out (EXDEV) */
#define RESOLVE_IN_ROOT 0x10 /* 5.6: dirfd is "/" for this lookup */
#define RESOLVE_CACHED  0x20 /* 5.12: only from the dcache, else EAGAIN */

/* ---- statx(2), Linux 4.11 (IORING_OP_STATX: 5.6) -------------------------- */
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EMPTY_PATH       0x1000 /* 2.6.39: the dirfd itself ("" path) */
#define STATX_TYPE          0x001
#define STATX_MODE          0x002
#define STATX_INO           0x100
#define STATX_SIZE          0x200
#define STATX_MTIME         0x040
#define STATX_CTIME         0x080
#define STATX_BASIC_STATS   0x7ff

struct statx_timestamp {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t __reserved;
};

/* 256 bytes: the kernel fills what stx_mask says, never more than this. */
struct statx {
	uint32_t stx_mask;
	uint32_t stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink;
	uint32_t stx_uid;
	uint32_t stx_gid;
	uint16_t stx_mode;
	uint16_t __spare0[1];
	uint64_t stx_ino;
	uint64_t stx_size;
	uint64_t stx_blocks;
	uint64_t stx_attributes_mask;
	struct statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major, stx_rdev_minor;
	uint32_t stx_dev_major, stx_dev_minor;
	uint64_t stx_mnt_id;   /* 5.8 */
	uint64_t __spare2[13]; /* later kernels name some of these */
};

/* File types in stx_mode (inode(7)). */
#define S_IFMT  0170000
#define S_IFDIR 0040000
#define S_IFREG 0100000

/* ---- getdents64(2) ------------------------------------------------------- */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;     /* where the next record starts (lseek(2) to it) */
	uint16_t d_reclen; /* this record's length, padded */
	uint8_t d_type;    /* DT_*, or DT_UNKNOWN */
	char d_name[];     /* NUL-terminated */
};
#define DT_UNKNOWN 0
#define DT_DIR     4
#define DT_REG     8
#define DT_LNK     10

#endif
