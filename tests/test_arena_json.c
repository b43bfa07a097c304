/* tests/test_arena_json.c - rocket-arena's JSON reader and writer
 * (tools/arena/json.c, built into this test): RFC 8259's grammar accepted
 * and refused, strings decoded (escapes, surrogate pairs, UTF-8 checks) and
 * written back with exactly the escapes §7 requires, numbers kept as
 * written, against a byte-at-a-time reference on random strings.
 */
#include "harness.h"

#include "../tools/arena/json.c"

static struct arena_json_node g_nodes[256];
static char g_str[4096];

static int parse(const char *text, struct arena_json *j)
{
	*j = (struct arena_json){ .nodes = g_nodes, .cap = 256, .str = g_str, .str_cap = 4096 };
	return arena_json_parse(j, text, strlen(text), NULL);
}

/* Parse, write back compact: the text, or "ERR". */
static const char *round_trip(const char *text)
{
	static char out[4096];
	struct arena_json j;
	if (parse(text, &j) < 0)
		return "ERR";
	struct arena_out o = { .p = out, .cap = sizeof(out) - 1 };
	arena_json_write(&o, &j, 0);
	CHECK(!o.full);
	out[o.len] = 0;
	return out;
}

TEST(json_reads_and_writes_every_kind_of_value)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ " [ 1 , -0 , 2.5e-3 , true , false , null , \"x\" ] ",
		  "[1,-0,2.5e-3,true,false,null,\"x\"]" },
		{ "{\"a\":{\"b\":[[],{}]},\"c\":\"d\"}", "{\"a\":{\"b\":[[],{}]},\"c\":\"d\"}" },
		{ "\"\\u00e9\\ud83d\\ude80\\/\\b\\f\\n\\r\\t\\\"\\\\\\u0001\\u007f\"",
		  "\"\xc3\xa9\xf0\x9f\x9a\x80/\\b\\f\\n\\r\\t\\\"\\\\\\u0001\x7f\"" },
		{ "\"\xe2\x82\xac \xf4\x8f\xbf\xbf\"", "\"\xe2\x82\xac \xf4\x8f\xbf\xbf\"" },
		/* Refused: RFC 8259 says no to each. */
		{ "[1,]", "ERR" },
		{ "{\"a\" 1}", "ERR" },
		{ "{1:2}", "ERR" },
		{ "01", "ERR" },
		{ "1.", "ERR" },
		{ ".5", "ERR" },
		{ "1e", "ERR" },
		{ "+1", "ERR" },
		{ "-", "ERR" },
		{ "tru", "ERR" },
		{ "nul", "ERR" },
		{ "[1] 2", "ERR" },
		{ "", "ERR" },
		{ "\"a", "ERR" },
		{ "\"\x01\"", "ERR" },
		{ "\"\\x\"", "ERR" },
		{ "\"\\u12\"", "ERR" },
		{ "\"\\ud800\"", "ERR" },
		{ "\"\\udc00\"", "ERR" },
		{ "\"\\ud800\\u0041\"", "ERR" },
		{ "\"\xc0\xaf\"", "ERR" },
		{ "\"\xed\xa0\x80\"", "ERR" },
		{ "\"\xf4\x90\x80\x80\"", "ERR" },
		{ "\"\xe2\x82\"", "ERR" },
		{ "\"\x80\"", "ERR" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = round_trip(cases[i].in);
		CHECK_MSG(!strcmp(got, cases[i].out), "%s\n got %s\nwant %s", cases[i].in, got,
			  cases[i].out);
	}
}

TEST(json_integers_are_known_exactly_and_limits_hold)
{
	struct arena_json j;
	CHECK_EQ(parse("[9223372036854775807,-9223372036854775808,9223372036854775808,1.0]", &j),
		 0);
	CHECK(g_nodes[1].is_int && g_nodes[1].i == INT64_MAX);
	CHECK(g_nodes[2].is_int && g_nodes[2].i == INT64_MIN);
	CHECK(!g_nodes[3].is_int);
	CHECK(!g_nodes[4].is_int);
	CHECK_EQ(arena_json_get(&j, 0, "x"), -1); /* not an object */
	CHECK_EQ(parse("{\"price\": 3, \"q\": [1]}", &j), 0);
	CHECK_EQ(arena_json_get(&j, 0, "q"), 4);
	CHECK_EQ(arena_json_get(&j, 0, "price"), 2);
	CHECK_EQ(arena_json_get(&j, 0, "pric"), -1);
	/* Depth and table bounds. */
	char deep[80];
	memset(deep, '[', 40);
	memset(deep + 40, ']', 40);
	deep[80 - 1] = 0;
	deep[79] = 0;
	CHECK_EQ(parse(deep, &j), -EINVAL);
	char many[1200] = "[";
	for (int i = 0; i < 300; i++)
		strcat(many, i ? ",0" : "0");
	strcat(many, "]");
	CHECK_EQ(parse(many, &j), -ENOSPC);
}

/* The reference: one byte at a time, as RFC 8259 §7 puts it. */
static size_t ref_escape(const unsigned char *s, size_t n, char *out)
{
	size_t k = 0;
	out[k++] = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		const char *e = c == '"'    ? "\\\""
				: c == '\\' ? "\\\\"
				: c == '\b' ? "\\b"
				: c == '\f' ? "\\f"
				: c == '\n' ? "\\n"
				: c == '\r' ? "\\r"
				: c == '\t' ? "\\t"
					    : 0;
		if (e)
			k += (size_t)sprintf(out + k, "%s", e);
		else if (c < 0x20)
			k += (size_t)sprintf(out + k, "\\u%04x", c);
		else
			out[k++] = (char)c;
	}
	out[k++] = '"';
	return k;
}

TEST(json_writer_escapes_exactly_like_the_reference)
{
	static unsigned char s[200];
	static char got[1400], want[1400];
	srand(14);
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)rand() % 64;
		int mode = round % 4; /* mostly plain, some escapes, all bytes */
		for (size_t i = 0; i < n; i++) {
			int r = rand();
			s[i] = mode == 0   ? (unsigned char)(0x20 + r % 95)
			       : mode == 1 ? (unsigned char)(r % 16 ? 'a' + r % 26
								    : "\"\\\n\x01\x1f"[r % 5])
					   : (unsigned char)r;
		}
		struct arena_out o = { .p = got, .cap = sizeof(got) };
		arena_out_str(&o, (const char *)s, n);
		size_t k = ref_escape(s, n, want);
		CHECK_MSG(!o.full && o.len == k && !memcmp(got, want, k), "round %d: %.*s vs %.*s",
			  round, (int)o.len, got, (int)k, want);
	}
	/* A bounded output never overruns and says it is full. */
	char small[5];
	struct arena_out o = { .p = small, .cap = sizeof(small) };
	arena_out_str(&o, "abcdef", 6);
	CHECK(o.full && o.len <= sizeof(small));
	o = (struct arena_out){ .p = small, .cap = sizeof(small) };
	arena_out_i64(&o, INT64_MIN);
	CHECK(o.full);
	char num[24];
	o = (struct arena_out){ .p = num, .cap = sizeof(num) };
	arena_out_i64(&o, INT64_MIN);
	arena_out_raw(&o, " ", 1);
	arena_out_i64(&o, 0);
	CHECK(!o.full && o.len == 22 && !memcmp(num, "-9223372036854775808 0", 22));
}
