/* include/rocket/http_mime.h - the Content-Type of a static file from its
 * name's extension (RFC 9110 §8.3; the types are IANA's media types
 * registry, with RFC 9239 for JavaScript). A built-in table, no mime.types.
 * Read next: src/http/mime.c.
 */
#ifndef ROCKET_HTTP_MIME_H
#define ROCKET_HTTP_MIME_H

#include <rocket/http.h>

/* The media type for the file name (or path) name[0..n): the extension is
 * what follows the last '.' of the last segment, compared without regard
 * to case; a leading dot (".profile") starts no extension. Text types carry
 * "; charset=utf-8". Never empty: unknown -> "application/octet-stream".
 * The view is static. */
struct rk_http_str rk_http_mime_type(const char *name, size_t n);

#endif
