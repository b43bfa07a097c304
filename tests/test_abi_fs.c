/* tests/test_abi_fs.c - include/rocket/abi/fs.h against the system's
 * <linux/openat2.h>, <linux/stat.h> and <fcntl.h>, at compile time, as
 * tests/test_abi.c does for io_uring: struct open_how and struct statx
 * have the kernel's size and field offsets, every RESOLVE_*, STATX_*, AT_*,
 * O_* and S_IF* constant the kernel's value.
 *
 * The system's values are captured in enum constants (sys_*), its macros
 * #undef'd and its struct tags renamed, then ours included and compared.
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/stat.h>
#include <stddef.h>

#include "harness.h"

#define RK_FS_CONSTANTS(X)                                                                         \
	X(O_NOCTTY)                                                                                \
	X(O_PATH)                                                                                  \
	X(RESOLVE_NO_XDEV)                                                                         \
	X(RESOLVE_NO_MAGICLINKS)                                                                   \
	X(RESOLVE_NO_SYMLINKS)                                                                     \
	X(RESOLVE_BENEATH)                                                                         \
	X(RESOLVE_IN_ROOT)                                                                         \
	X(RESOLVE_CACHED)                                                                          \
	X(AT_SYMLINK_NOFOLLOW)                                                                     \
	X(AT_EMPTY_PATH)                                                                           \
	X(STATX_TYPE)                                                                              \
	X(STATX_MODE)                                                                              \
	X(STATX_INO)                                                                               \
	X(STATX_SIZE)                                                                              \
	X(STATX_MTIME)                                                                             \
	X(STATX_CTIME)                                                                             \
	X(STATX_BASIC_STATS)                                                                       \
	X(S_IFMT)                                                                                  \
	X(S_IFDIR)                                                                                 \
	X(S_IFREG)                                                                                 \
	X(DT_UNKNOWN)                                                                              \
	X(DT_DIR)                                                                                  \
	X(DT_REG)                                                                                  \
	X(DT_LNK)

/* struct, field: both headers name them. */
#define RK_FS_FIELDS(X)                                                                            \
	X(open_how, flags)                                                                         \
	X(open_how, mode)                                                                          \
	X(open_how, resolve)                                                                       \
	X(statx_timestamp, tv_sec)                                                                 \
	X(statx_timestamp, tv_nsec)                                                                \
	X(statx, stx_mask)                                                                         \
	X(statx, stx_blksize)                                                                      \
	X(statx, stx_attributes)                                                                   \
	X(statx, stx_nlink)                                                                        \
	X(statx, stx_uid)                                                                          \
	X(statx, stx_gid)                                                                          \
	X(statx, stx_mode)                                                                         \
	X(statx, stx_ino)                                                                          \
	X(statx, stx_size)                                                                         \
	X(statx, stx_blocks)                                                                       \
	X(statx, stx_attributes_mask)                                                              \
	X(statx, stx_atime)                                                                        \
	X(statx, stx_btime)                                                                        \
	X(statx, stx_ctime)                                                                        \
	X(statx, stx_mtime)                                                                        \
	X(statx, stx_rdev_major)                                                                   \
	X(statx, stx_rdev_minor)                                                                   \
	X(statx, stx_dev_major)                                                                    \
	X(statx, stx_dev_minor)                                                                    \
	X(statx, stx_mnt_id)

#define RK_FS_STRUCTS(X) X(open_how) X(statx_timestamp) X(statx)

#define RK_CAPTURE(x) sys_##x = (long)(x),
enum { RK_FS_CONSTANTS(RK_CAPTURE) };
#define RK_CAPTURE_FIELD(s, f)                                                                     \
	sys_off_##s##_##f = offsetof(struct s, f), sys_size_##s##_##f = sizeof(((struct s *)0)->f),
enum { RK_FS_FIELDS(RK_CAPTURE_FIELD) };
#define RK_CAPTURE_STRUCT(s) sys_size_##s = sizeof(struct s),
enum { RK_FS_STRUCTS(RK_CAPTURE_STRUCT) };
/* getdents64's record: glibc's struct dirent64 has the kernel's layout. */
enum {
	sys_dirent_ino = offsetof(struct dirent64, d_ino),
	sys_dirent_off = offsetof(struct dirent64, d_off),
	sys_dirent_reclen = offsetof(struct dirent64, d_reclen),
	sys_dirent_type = offsetof(struct dirent64, d_type),
	sys_dirent_name = offsetof(struct dirent64, d_name),
};

#undef O_NOCTTY
#undef O_PATH
#undef RESOLVE_NO_XDEV
#undef RESOLVE_NO_MAGICLINKS
#undef RESOLVE_NO_SYMLINKS
#undef RESOLVE_BENEATH
#undef RESOLVE_IN_ROOT
#undef RESOLVE_CACHED
#undef AT_SYMLINK_NOFOLLOW
#undef AT_EMPTY_PATH
#undef STATX_TYPE
#undef STATX_MODE
#undef STATX_INO
#undef STATX_SIZE
#undef STATX_MTIME
#undef STATX_CTIME
#undef STATX_BASIC_STATS
#undef S_IFMT
#undef S_IFDIR
#undef S_IFREG
#undef DT_UNKNOWN
#undef DT_DIR
#undef DT_REG
#undef DT_LNK
#define open_how        rk_abi_open_how
#define statx_timestamp rk_abi_statx_timestamp
#define statx           rk_abi_statx

#include "rocket/abi/fs.h"

#define RK_SAME(x) _Static_assert((long)(x) == sys_##x, #x " differs from the system header");
RK_FS_CONSTANTS(RK_SAME)
#define RK_SAME_FIELD(s, f)                                                                        \
	_Static_assert(offsetof(struct s, f) == sys_off_##s##_##f, "offset of " #s "." #f);        \
	_Static_assert(sizeof(((struct s *)0)->f) == sys_size_##s##_##f, "size of " #s "." #f);
RK_FS_FIELDS(RK_SAME_FIELD)
#define RK_SAME_STRUCT(s) _Static_assert(sizeof(struct s) == sys_size_##s, "size of " #s);
RK_FS_STRUCTS(RK_SAME_STRUCT)
_Static_assert(offsetof(struct linux_dirent64, d_ino) == sys_dirent_ino, "d_ino");
_Static_assert(offsetof(struct linux_dirent64, d_off) == sys_dirent_off, "d_off");
_Static_assert(offsetof(struct linux_dirent64, d_reclen) == sys_dirent_reclen, "d_reclen");
_Static_assert(offsetof(struct linux_dirent64, d_type) == sys_dirent_type, "d_type");
_Static_assert(offsetof(struct linux_dirent64, d_name) == sys_dirent_name, "d_name");
/* The sizes openat2(2) and statx(2) document, independent of any header. */
_Static_assert(sizeof(struct open_how) == 24, "open_how is 24 bytes (OPEN_HOW_SIZE_VER0)");
_Static_assert(sizeof(struct statx) == 256, "statx is 256 bytes");

#define RK_COUNT(...) +1
TEST(fs_abi_matches_the_system_headers_at_compile_time)
{
	/* Counted, so an entry that drops out of a list fails here. */
	CHECK_EQ(0 RK_FS_CONSTANTS(RK_COUNT), 24);
	CHECK_EQ(0 RK_FS_FIELDS(RK_COUNT), 25);
	CHECK_EQ(0 RK_FS_STRUCTS(RK_COUNT), 3);
}
