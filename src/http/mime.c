/* src/http/mime.c - file extension -> media type (RFC 9110 §8.3.1), for the
 * Content-Type of static files. A linear table: a few dozen entries of at
 * most five letters cost less to scan than to hash.
 * Read next: include/rocket/http_cond.h.
 */
#include <rocket/http_mime.h>
#include <rocket/util.h>

#define UTF8 "; charset=utf-8"

static const struct {
	char ext[6];
	const char *type;
} rk_mime_tab[] = {
	/* Text: a charset, so browsers need not sniff (RFC 9110 §8.3.2). */
	{ "html", "text/html" UTF8 },
	{ "htm", "text/html" UTF8 },
	{ "css", "text/css" UTF8 },
	{ "js", "text/javascript" UTF8 }, /* RFC 9239 */
	{ "mjs", "text/javascript" UTF8 },
	{ "json", "application/json" UTF8 },
	{ "txt", "text/plain" UTF8 },
	{ "xml", "application/xml" UTF8 }, /* RFC 7303 */
	{ "svg", "image/svg+xml" UTF8 },
	{ "md", "text/markdown" UTF8 }, /* RFC 7763 */
	{ "csv", "text/csv" UTF8 },     /* RFC 7111 */
	/* Binary. */
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "avif", "image/avif" },
	{ "ico", "image/x-icon" }, /* what browsers expect, not vnd.microsoft.icon */
	{ "woff", "font/woff" },   /* RFC 8081 */
	{ "woff2", "font/woff2" },
	{ "ttf", "font/ttf" },
	{ "otf", "font/otf" },
	{ "wasm", "application/wasm" }, /* streaming compile needs exactly this */
	{ "pdf", "application/pdf" },
	{ "mp4", "video/mp4" },
	{ "webm", "video/webm" },
	{ "mp3", "audio/mpeg" },
	{ "ogg", "audio/ogg" },
	{ "wav", "audio/wav" },
	{ "zip", "application/zip" },
	{ "gz", "application/gzip" }, /* RFC 6713 */
	{ "tar", "application/x-tar" },
	{ "map", "application/json" }, /* source maps */
};

struct rk_http_str rk_http_mime_type(const char *name, size_t n)
{
	static const char dflt[] = "application/octet-stream";
	size_t base = n, dot = n;
	char ext[6];

	while (base > 0 && name[base - 1] != '/')
		base--;
	for (size_t i = n; i > base; i--)
		if (name[i - 1] == '.') {
			dot = i - 1;
			break;
		}
	if (dot < n && dot > base && n - dot - 1 >= 1 && n - dot - 1 < sizeof(ext)) {
		size_t len = n - dot - 1;
		for (size_t i = 0; i < len; i++) {
			char c = name[dot + 1 + i];
			ext[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
		}
		for (size_t i = 0; i < RK_ARRAY_SIZE(rk_mime_tab); i++)
			if (rk_strlen(rk_mime_tab[i].ext) == len &&
			    rk_memcmp(rk_mime_tab[i].ext, ext, len) == 0) {
				const char *t = rk_mime_tab[i].type;
				return (struct rk_http_str){ t, (uint32_t)rk_strlen(t) };
			}
	}
	return (struct rk_http_str){ dflt, sizeof(dflt) - 1 };
}
