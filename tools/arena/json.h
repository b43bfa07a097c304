/* tools/arena/json.h - a small JSON reader and writer for rocket-arena
 * (RFC 8259): the reader turns a document into a bounded table of nodes at
 * start-up; the writer renders values and strings back, escaping what
 * RFC 8259 §7 requires. No allocation: the caller lends both tables.
 * Read next: tools/arena/json.c, then tools/arena/data.h.
 */
#ifndef ROCKET_ARENA_JSON_H
#define ROCKET_ARENA_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum arena_json_kind {
	ARENA_JSON_NULL,
	ARENA_JSON_FALSE,
	ARENA_JSON_TRUE,
	ARENA_JSON_NUMBER,
	ARENA_JSON_STRING,
	ARENA_JSON_ARRAY,
	ARENA_JSON_OBJECT,
};

/* Nodes are stored in document order. A container's members follow it,
 * and `end` is the index just past its whole subtree, so the members of
 * node k are k+1, then nodes[k+1].end, ... while below nodes[k].end. An
 * object's members come in pairs: a STRING key, then its value. */
struct arena_json_node {
	const char *p; /* STRING: decoded UTF-8; NUMBER: its text as written */
	uint32_t len;  /* bytes at p */
	uint32_t end;  /* index past this node's subtree */
	int64_t i;     /* NUMBER with is_int: its value */
	uint8_t kind;  /* enum arena_json_kind */
	bool is_int;   /* NUMBER: an integer that fits int64_t */
};

/* The tables a document is read into: nodes[cap] and str[str_cap] (the
 * decoded strings). n and str_len count what is used. */
struct arena_json {
	struct arena_json_node *nodes;
	uint32_t n, cap;
	char *str;
	uint32_t str_len, str_cap;
};

#define ARENA_JSON_MAX_DEPTH 32

/* Read src[0..n): one value, with only white space around it. Returns 0,
 * -EINVAL (not JSON, or nested deeper than ARENA_JSON_MAX_DEPTH) or -ENOSPC
 * (a table is full); *at is the byte offset where it stopped.
 * Strings are checked and decoded: escapes (\uXXXX with surrogate pairs
 * to UTF-8), no raw control bytes, and well-formed UTF-8. */
int arena_json_parse(struct arena_json *j, const char *src, size_t n, size_t *at);

/* The member of object node obj named key, or -1. */
int arena_json_get(const struct arena_json *j, uint32_t obj, const char *key);

/* A bounded output: every put writes all of it or sets `full` and writes
 * nothing more (so one check at the end is enough). */
struct arena_out {
	char *p;
	uint32_t len, cap;
	bool full;
};
/* n bytes; up to 16 as two overlapping moves (the number texts and short
 * strings of a /json answer), not a call. */
static inline void arena_copy(char *d, const char *s, size_t n)
{
	uint64_t a, b;
	uint32_t c, e;
	if (n >= 8 && n <= 16) {
		__builtin_memcpy(&a, s, 8);
		__builtin_memcpy(&b, s + n - 8, 8);
		__builtin_memcpy(d, &a, 8);
		__builtin_memcpy(d + n - 8, &b, 8);
	} else if (n >= 4 && n < 8) {
		__builtin_memcpy(&c, s, 4);
		__builtin_memcpy(&e, s + n - 4, 4);
		__builtin_memcpy(d, &c, 4);
		__builtin_memcpy(d + n - 4, &e, 4);
	} else if (n < 4) {
		for (size_t i = 0; i < n; i++)
			d[i] = s[i];
	} else {
		__builtin_memcpy(d, s, n);
	}
}

/* Inline: most puts are a few bytes of a literal, copied as moves. */
static inline void arena_out_raw(struct arena_out *o, const void *s, size_t n)
{
	if (__builtin_expect(o->full || n > o->cap - o->len, 0)) {
		o->full = true;
		return;
	}
	if (__builtin_constant_p(n))
		__builtin_memcpy(o->p + o->len, s, n);
	else
		arena_copy(o->p + o->len, s, n);
	o->len += (uint32_t)n;
}
void arena_out_i64(struct arena_out *o, int64_t v);
/* s[0..n) as a JSON string, quotes included: '"', '\\' and the bytes
 * below 0x20 are escaped (\n, \t, ... or \u00XX), the rest is copied. */
void arena_out_str(struct arena_out *o, const char *s, size_t n);
/* Node k (and its subtree) as compact JSON. */
void arena_json_write(struct arena_out *o, const struct arena_json *j, uint32_t k);

#endif
