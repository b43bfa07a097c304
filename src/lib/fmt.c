/* src/lib/fmt.c - a small printf subset and strict number parsing, no libc.
 *
 * Implements include/rocket/fmt.h. The conversions follow printf(3) for the
 * subset they cover (the tests compare against snprintf); output only ever
 * goes through a caller's buffer or write(2).
 * Read next: src/rt/start.c.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rocket/abi/linux.h"
#include "rocket/fmt.h"
#include "rocket/sys.h"
#include "rocket/util.h"

#define FMT_DPRINT_MAX 1024

/* The output cursor: `len` counts what was stored, never more than cap - 1,
 * so the NUL always fits. */
struct fmt_out {
	char *buf;
	size_t cap;
	size_t len;
};

static void fmt_putc(struct fmt_out *o, char c)
{
	if (o->len + 1 < o->cap)
		o->buf[o->len++] = c;
}

static void fmt_pad(struct fmt_out *o, char c, int n)
{
	while (n-- > 0)
		fmt_putc(o, c);
}

static void fmt_putn(struct fmt_out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fmt_putc(o, s[i]);
}

struct fmt_spec {
	bool left; /* '-': pad on the right */
	bool zero; /* '0': pad numbers with zeros after the sign */
	int width; /* minimum field width, 0 = none */
	int prec;  /* precision, -1 = none */
};

/* One field: `pre` (sign or "0x"), then `digits`, padded as printf does. */
static void fmt_field(struct fmt_out *o, const struct fmt_spec *sp, const char *pre, size_t npre,
		      const char *digits, size_t ndig, bool numeric)
{
	int zeros = 0;
	if (numeric && sp->prec >= 0 && (size_t)sp->prec > ndig)
		zeros = sp->prec - (int)ndig;
	int body = (int)(npre + ndig) + zeros;
	int pad = sp->width > body ? sp->width - body : 0;

	/* '0' only applies to numbers without a precision, and '-' wins. */
	if (numeric && sp->zero && !sp->left && sp->prec < 0) {
		zeros += pad;
		pad = 0;
	}
	if (!sp->left)
		fmt_pad(o, ' ', pad);
	fmt_putn(o, pre, npre);
	fmt_pad(o, '0', zeros);
	fmt_putn(o, digits, ndig);
	if (sp->left)
		fmt_pad(o, ' ', pad);
}

static void fmt_uint(struct fmt_out *o, const struct fmt_spec *sp, uint64_t v, unsigned base,
		     bool upper, const char *pre, size_t npre)
{
	const char *xd = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = xd[v % base];
		v /= base;
	} while (v);
	/* printf: "%.0d" of zero prints no digits at all. */
	if (sp->prec == 0 && i == sizeof(tmp) - 1 && tmp[i] == '0')
		i = sizeof(tmp);
	fmt_field(o, sp, pre, npre, tmp + i, sizeof(tmp) - i, true);
}

/* Reads a decimal number at *p (width or precision). */
static int fmt_num(const char **p)
{
	int n = 0;
	while (**p >= '0' && **p <= '9') {
		if (n < 100000)
			n = n * 10 + (**p - '0');
		(*p)++;
	}
	return n;
}

size_t rk_vfmt(char *buf, size_t cap, const char *fmt, __builtin_va_list ap)
{
	struct fmt_out o = { buf, cap, 0 };
	const char *p = fmt;

	while (*p) {
		if (*p != '%') {
			fmt_putc(&o, *p++);
			continue;
		}
		const char *start = p++;
		struct fmt_spec sp = { false, false, 0, -1 };

		for (;; p++) {
			if (*p == '-')
				sp.left = true;
			else if (*p == '0')
				sp.zero = true;
			else
				break;
		}
		if (*p == '*') {
			p++;
			sp.width = __builtin_va_arg(ap, int);
			if (sp.width < 0) { /* printf(3): a negative width is '-' */
				sp.left = true;
				sp.width = sp.width < -100000 ? 100000 : -sp.width;
			}
		} else {
			sp.width = fmt_num(&p);
		}
		if (*p == '.') {
			p++;
			if (*p == '*') {
				p++;
				sp.prec = __builtin_va_arg(ap, int);
				if (sp.prec < 0)
					sp.prec = -1; /* as if omitted */
			} else {
				sp.prec = fmt_num(&p);
			}
		}

		int lng = 0; /* 0 = int, 1 = long, 2 = long long, 3 = size_t */
		if (*p == 'l') {
			p++;
			lng = 1;
			if (*p == 'l') {
				p++;
				lng = 2;
			}
		} else if (*p == 'z') {
			p++;
			lng = 3;
		}

		char c = *p;
		if (c)
			p++;
		switch (c) {
		case 'd':
		case 'i': {
			int64_t v;
			if (lng == 0)
				v = __builtin_va_arg(ap, int);
			else if (lng == 1 || lng == 3)
				v = __builtin_va_arg(ap, long);
			else
				v = __builtin_va_arg(ap, long long);
			uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
			fmt_uint(&o, &sp, mag, 10, false, "-", v < 0 ? 1 : 0);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			uint64_t v;
			if (lng == 0)
				v = __builtin_va_arg(ap, unsigned int);
			else if (lng == 1)
				v = __builtin_va_arg(ap, unsigned long);
			else if (lng == 2)
				v = __builtin_va_arg(ap, unsigned long long);
			else
				v = __builtin_va_arg(ap, size_t);
			fmt_uint(&o, &sp, v, c == 'u' ? 10 : 16, c == 'X', "", 0);
			break;
		}
		case 'p': {
			const void *v = __builtin_va_arg(ap, const void *);
			sp.zero = false;
			if (!v) /* glibc's spelling, so logs read the same in both builds */
				fmt_field(&o, &sp, "", 0, "(nil)", 5, false);
			else
				fmt_uint(&o, &sp, (uint64_t)(uintptr_t)v, 16, false, "0x", 2);
			break;
		}
		case 's': {
			const char *s = __builtin_va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			size_t n = 0;
			/* With a precision, s need not be NUL-terminated: stop at prec. */
			while ((sp.prec < 0 || n < (size_t)sp.prec) && s[n])
				n++;
			sp.prec = -1;
			fmt_field(&o, &sp, "", 0, s, n, false);
			break;
		}
		case 'c': {
			char ch = (char)__builtin_va_arg(ap, int);
			sp.prec = -1;
			fmt_field(&o, &sp, "", 0, &ch, 1, false);
			break;
		}
		case '%':
			fmt_putc(&o, '%');
			break;
		default:
			/* Unknown or truncated conversion: copy it out unchanged. */
			fmt_putn(&o, start, (size_t)(p - start));
			break;
		}
	}
	if (o.cap)
		o.buf[o.len] = '\0';
	return o.len;
}

size_t rk_fmt(char *buf, size_t cap, const char *fmt, ...)
{
	__builtin_va_list ap;
	__builtin_va_start(ap, fmt);
	size_t n = rk_vfmt(buf, cap, fmt, ap);
	__builtin_va_end(ap);
	return n;
}

void rk_dprint(int fd, const char *fmt, ...)
{
	char buf[FMT_DPRINT_MAX];
	__builtin_va_list ap;
	__builtin_va_start(ap, fmt);
	size_t n = rk_vfmt(buf, sizeof(buf), fmt, ap);
	__builtin_va_end(ap);

	/* write(2) may be short (pipes, signals): loop until all is out. */
	for (size_t off = 0; off < n;) {
		long w = sys_write(fd, buf + off, n - off);
		if (w == -EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

int rk_parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* errno names 1..133 in order (include/uapi/asm-generic/errno-base.h and
 * errno.h, shared by x86-64 and aarch64), packed into one string: one byte
 * per unused number (41, 58) instead of a pointer per entry. */
#define FMT_ERRNO_MAX 133
/* a table, laid out as one */
/* clang-format off */
static const char fmt_errno_names[] =
	"EPERM\0" "ENOENT\0" "ESRCH\0" "EINTR\0" "EIO\0" "ENXIO\0" "E2BIG\0" "ENOEXEC\0" "EBADF\0"
	"ECHILD\0" "EAGAIN\0" "ENOMEM\0" "EACCES\0" "EFAULT\0" "ENOTBLK\0" "EBUSY\0" "EEXIST\0"
	"EXDEV\0" "ENODEV\0" "ENOTDIR\0" "EISDIR\0" "EINVAL\0" "ENFILE\0" "EMFILE\0" "ENOTTY\0"
	"ETXTBSY\0" "EFBIG\0" "ENOSPC\0" "ESPIPE\0" "EROFS\0" "EMLINK\0" "EPIPE\0" "EDOM\0"
	"ERANGE\0" "EDEADLK\0" "ENAMETOOLONG\0" "ENOLCK\0" "ENOSYS\0" "ENOTEMPTY\0" "ELOOP\0" "\0"
	"ENOMSG\0" "EIDRM\0" "ECHRNG\0" "EL2NSYNC\0" "EL3HLT\0" "EL3RST\0" "ELNRNG\0" "EUNATCH\0"
	"ENOCSI\0" "EL2HLT\0" "EBADE\0" "EBADR\0" "EXFULL\0" "ENOANO\0" "EBADRQC\0" "EBADSLT\0"
	"\0" "EBFONT\0" "ENOSTR\0" "ENODATA\0" "ETIME\0" "ENOSR\0" "ENONET\0" "ENOPKG\0"
	"EREMOTE\0" "ENOLINK\0" "EADV\0" "ESRMNT\0" "ECOMM\0" "EPROTO\0" "EMULTIHOP\0" "EDOTDOT\0"
	"EBADMSG\0" "EOVERFLOW\0" "ENOTUNIQ\0" "EBADFD\0" "EREMCHG\0" "ELIBACC\0" "ELIBBAD\0"
	"ELIBSCN\0" "ELIBMAX\0" "ELIBEXEC\0" "EILSEQ\0" "ERESTART\0" "ESTRPIPE\0" "EUSERS\0"
	"ENOTSOCK\0" "EDESTADDRREQ\0" "EMSGSIZE\0" "EPROTOTYPE\0" "ENOPROTOOPT\0"
	"EPROTONOSUPPORT\0" "ESOCKTNOSUPPORT\0" "EOPNOTSUPP\0" "EPFNOSUPPORT\0" "EAFNOSUPPORT\0"
	"EADDRINUSE\0" "EADDRNOTAVAIL\0" "ENETDOWN\0" "ENETUNREACH\0" "ENETRESET\0"
	"ECONNABORTED\0" "ECONNRESET\0" "ENOBUFS\0" "EISCONN\0" "ENOTCONN\0" "ESHUTDOWN\0"
	"ETOOMANYREFS\0" "ETIMEDOUT\0" "ECONNREFUSED\0" "EHOSTDOWN\0" "EHOSTUNREACH\0"
	"EALREADY\0" "EINPROGRESS\0" "ESTALE\0" "EUCLEAN\0" "ENOTNAM\0" "ENAVAIL\0" "EISNAM\0"
	"EREMOTEIO\0" "EDQUOT\0" "ENOMEDIUM\0" "EMEDIUMTYPE\0" "ECANCELED\0" "ENOKEY\0"
	"EKEYEXPIRED\0" "EKEYREVOKED\0" "EKEYREJECTED\0" "EOWNERDEAD\0" "ENOTRECOVERABLE\0"
	"ERFKILL\0" "EHWPOISON\0";
/* clang-format on */

const char *rk_errno_name(int err)
{
	if (err < 0 && err > -4096) /* accept a syscall's -errno as well */
		err = -err;
	if (err == 524) /* the kernel's internal ENOTSUPP, which io_uring can leak */
		return "ENOTSUPP";
	if (err < 1 || err > FMT_ERRNO_MAX)
		return "E?";
	const char *p = fmt_errno_names;
	for (int i = 1; i < err; i++)
		p += rk_strlen(p) + 1;
	return *p ? p : "E?";
}
