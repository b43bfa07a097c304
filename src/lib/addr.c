/* src/lib/addr.c - numeric IPv4/IPv6 addresses, parsed (see inet_pton(3))
 * and printed (inet_ntop(3), RFC 5952).
 * Read next: src/engine/engine.c.
 */
#include "rocket/addr.h"
#include "rocket/fmt.h"
#include "rocket/util.h"

static int rk_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int rk_parse_v4(const char *s, uint8_t out[4])
{
	for (int i = 0; i < 4; i++) {
		unsigned v = 0, digits = 0;
		while (*s >= '0' && *s <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		if (!digits || digits > 3 || v > 255)
			return -EINVAL;
		out[i] = (uint8_t)v;
		if (i < 3 && *s++ != '.')
			return -EINVAL;
	}
	return *s ? -EINVAL : 0;
}

/* Up to 8 groups of hex, with at most one "::" standing for zero groups. */
static int rk_parse_v6(const char *s, size_t n, uint8_t out[16])
{
	uint16_t g[8] = { 0 };
	int ng = 0, gap = -1;
	size_t i = 0;
	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 0;
		i = 2;
	}
	while (i < n) {
		unsigned v = 0, digits = 0;
		int h;
		while (i < n && (h = rk_hexval(s[i])) >= 0 && digits < 5) {
			v = v * 16 + (unsigned)h;
			i++;
			digits++;
		}
		if (!digits || digits > 4 || ng == 8)
			return -EINVAL;
		g[ng++] = (uint16_t)v;
		if (i == n)
			break;
		if (s[i++] != ':')
			return -EINVAL;
		if (i < n && s[i] == ':') {
			if (gap >= 0)
				return -EINVAL;
			gap = ng;
			i++;
		} else if (i == n) {
			return -EINVAL; /* trailing single colon */
		}
	}
	if (gap < 0 && ng != 8)
		return -EINVAL;
	if (gap >= 0 && ng == 8)
		return -EINVAL;
	uint16_t full[8] = { 0 };
	int tail = gap < 0 ? 0 : ng - gap;
	for (int k = 0; k < ng - tail; k++)
		full[k] = g[k];
	for (int k = 0; k < tail; k++)
		full[8 - tail + k] = g[gap + k];
	for (int k = 0; k < 8; k++) {
		out[2 * k] = (uint8_t)(full[k] >> 8);
		out[2 * k + 1] = (uint8_t)full[k];
	}
	return 0;
}

int rk_addr_parse(const char *host, uint16_t port, struct rk_sockaddr *sa)
{
	rk_memset(sa, 0, sizeof(*sa));
	size_t n = rk_strlen(host);
	if (n && host[0] == '[' && host[n - 1] == ']') {
		host++;
		n -= 2;
	}
	uint8_t v4[4];
	bool colon = false;
	for (size_t i = 0; i < n; i++)
		colon |= host[i] == ':';
	if (!colon) {
		if (host[n] != 0 || rk_parse_v4(host, v4) < 0)
			return -EINVAL;
		sa->in4.sin_family = AF_INET;
		sa->in4.sin_port = rk_htons(port);
		rk_memcpy(&sa->in4.sin_addr, v4, 4);
		return (int)sizeof(sa->in4);
	}
	if (rk_parse_v6(host, n, sa->in6.sin6_addr) < 0)
		return -EINVAL;
	sa->in6.sin6_family = AF_INET6;
	sa->in6.sin6_port = rk_htons(port);
	return (int)sizeof(sa->in6);
}

/* The address as text, with its port ("a.b.c.d:p", "[x::y]:p") or alone,
 * an IPv4-mapped one then as IPv4. */
static size_t rk_addr_text(const struct rk_sockaddr *sa, char *buf, size_t cap, bool port)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff }; /* ::ffff:a.b.c.d */
	const uint8_t *a = sa->in6.sin6_addr;
	char txt[48];
	bool v6 = sa->family == AF_INET6;
	if (v6 && !port && !rk_memcmp(a, mapped, sizeof(mapped))) {
		a += 12;
		v6 = false;
	} else if (!v6) {
		if (sa->family != AF_INET)
			return rk_fmt(buf, cap, port ? "?" : "-");
		a = (const uint8_t *)&sa->in4.sin_addr;
	}
	if (!v6) {
		rk_fmt(txt, sizeof(txt), "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
	} else {
		uint16_t g[8];
		for (int k = 0; k < 8; k++)
			g[k] = (uint16_t)(a[2 * k] << 8 | a[2 * k + 1]);
		/* The longest run of zero groups (the first if tied), if >= 2. */
		int best = -1, best_len = 1;
		for (int k = 0; k < 8;) {
			int n = 0;
			while (k + n < 8 && !g[k + n])
				n++;
			if (n > best_len) {
				best = k;
				best_len = n;
			}
			k += n ? n : 1;
		}
		size_t n = 0;
		for (int k = 0; k < 8; k++) {
			if (k == best) {
				n += rk_fmt(txt + n, sizeof(txt) - n, "::");
				k += best_len - 1;
				continue;
			}
			bool sep = k > 0 && k != best + best_len;
			n += rk_fmt(txt + n, sizeof(txt) - n, "%s%x", sep ? ":" : "", g[k]);
		}
	}
	if (!port)
		return rk_fmt(buf, cap, "%s", txt);
	return rk_fmt(buf, cap, v6 ? "[%s]:%u" : "%s:%u", txt,
		      rk_htons(v6 ? sa->in6.sin6_port : sa->in4.sin_port));
}

size_t rk_addr_format(const struct rk_sockaddr *sa, char *buf, size_t cap)
{
	return rk_addr_text(sa, buf, cap, true);
}

size_t rk_addr_host(const struct rk_sockaddr *sa, char *buf, size_t cap)
{
	return rk_addr_text(sa, buf, cap, false);
}
