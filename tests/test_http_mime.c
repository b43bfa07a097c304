/* tests/test_http_mime.c - Content-Type from a file name (src/http/mime.c):
 * every extension of the table, case-insensitivity, the charset of text
 * types, and what is no extension at all.
 */
#include "harness.h"

#include <rocket/http_mime.h>

static void is(const char *name, const char *want)
{
	struct rk_http_str t = rk_http_mime_type(name, strlen(name));
	CHECK_MSG(t.n == strlen(want) && memcmp(t.p, want, t.n) == 0, "%s: '%.*s', expected '%s'",
		  name, (int)t.n, t.p, want);
}

#define U "; charset=utf-8"

TEST(mime_text_types_carry_utf8)
{
	is("index.html", "text/html" U);
	is("a.htm", "text/html" U);
	is("s.css", "text/css" U);
	is("app.js", "text/javascript" U);
	is("mod.mjs", "text/javascript" U);
	is("d.json", "application/json" U);
	is("r.txt", "text/plain" U);
	is("f.xml", "application/xml" U);
	is("i.svg", "image/svg+xml" U);
	is("README.md", "text/markdown" U);
	is("t.csv", "text/csv" U);
}

TEST(mime_binary_types_have_no_charset)
{
	is("a.png", "image/png");
	is("a.jpg", "image/jpeg");
	is("a.jpeg", "image/jpeg");
	is("a.gif", "image/gif");
	is("a.webp", "image/webp");
	is("a.avif", "image/avif");
	is("favicon.ico", "image/x-icon");
	is("f.woff", "font/woff");
	is("f.woff2", "font/woff2");
	is("f.ttf", "font/ttf");
	is("f.otf", "font/otf");
	is("m.wasm", "application/wasm");
	is("d.pdf", "application/pdf");
	is("v.mp4", "video/mp4");
	is("v.webm", "video/webm");
	is("s.mp3", "audio/mpeg");
	is("s.ogg", "audio/ogg");
	is("s.wav", "audio/wav");
	is("a.zip", "application/zip");
	is("a.gz", "application/gzip");
	is("a.tar", "application/x-tar");
	is("app.js.map", "application/json");
}

TEST(mime_extension_is_case_insensitive)
{
	is("INDEX.HTML", "text/html" U);
	is("Photo.JpEg", "image/jpeg");
	is("F.WOFF2", "font/woff2");
}

TEST(mime_last_extension_of_last_segment)
{
	is("archive.tar.gz", "application/gzip");
	is("/srv/www.d/page.html", "text/html" U);
	is("/srv/a.html/readme", "application/octet-stream"); /* dot in a directory */
	is("style.css.bak", "application/octet-stream");
}

TEST(mime_unknown_or_no_extension_is_octet_stream)
{
	is("Makefile", "application/octet-stream");
	is("file.", "application/octet-stream");
	is(".html", "application/octet-stream"); /* a dotfile, not an extension */
	is("/x/.profile", "application/octet-stream");
	is("a.exe", "application/octet-stream");
	is("a.htmlx", "application/octet-stream");
	is("a.ht", "application/octet-stream");
	is("a.woff22", "application/octet-stream");
	is("", "application/octet-stream");
	/* a NUL inside the name is a byte, not an end */
	struct rk_http_str t = rk_http_mime_type("a.js\0x", 6);
	CHECK(t.n == 24 && !memcmp(t.p, "application/octet-stream", 24));
	t = rk_http_mime_type("a.html", 4); /* only n bytes count: "a.ht" */
	CHECK(t.n == 24);
}
