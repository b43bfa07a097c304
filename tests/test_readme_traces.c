/* tests/test_readme_traces.c - the --trace output quoted in README.md is
 * the real one: each block after a "<!-- trace: NAME -->" line is compared
 * with what the server prints for that request now (the product when it is
 * built). Numbers (fds, lengths, results) may move; the operations, their
 * order on each thread, their flags and decoded fields may not.
 * ROCKET_README_WRITE=1 rewrites the blocks from this run instead:
 *   ROCKET_README_WRITE=1 build/tests/test_readme_traces
 */
#include "static_help.h"

#include <signal.h>

/* What the server traced for one curl of url_path, from the first ACCEPT
 * to the close of that connection; the once-a-second tick left out. */
static char *capture(const char *const *args, const char *url_path)
{
	struct proc p;
	const char *bin = proc_bin_static() ? proc_bin_static() : proc_bin_hosted();
	int port = srv_start_bin(&p, bin, 0, args);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "curl -s -o /dev/null http://127.0.0.1:%d%s", port, url_path);
	CHECK(system(cmd) == 0);
	usleep(300000);
	kill(p.pid, SIGTERM);
	CHECK(proc_wait(&p, 10) == 0);
	char *err = proc_slurp(p.err);
	proc_cleanup(&p);
	char *from = strstr(err, "[acceptor ] SQE  ACCEPT"),
	     *to = from ? strstr(from, "CQE  CLOSE") : 0;
	CHECK_MSG(from && to, "no connection in the trace:\n%s", err);
	to = strchr(to, '\n') + 1;
	size_t cap = (size_t)(to - from) + 1, n = 0;
	char *out = malloc(cap);
	for (char *l = from; l < to;) {
		char *e = strchr(l, '\n') + 1;
		if (!memmem(l, (size_t)(e - l), "TICK", 4))
			memcpy(out + n, l, (size_t)(e - l)), n += (size_t)(e - l);
		l = e;
	}
	out[n] = 0;
	free(err);
	return out;
}

/* The lines of one thread that name an SQE or a CQE, digits as '#' and
 * runs of spaces as one (columns are padded to the numbers' widths). */
static void canon(const char *text, const char *who, char *out, size_t cap)
{
	size_t n = 0;
	for (const char *l = text; *l;) {
		const char *e = strchr(l, '\n');
		e = e ? e + 1 : l + strlen(l);
		if (!strncmp(l, who, strlen(who)) && (memmem(l, (size_t)(e - l), "] SQE ", 6) ||
						      memmem(l, (size_t)(e - l), "] CQE ", 6))) {
			for (const char *c = l; c < e && n + 2 < cap; c++)
				if (*c >= '0' && *c <= '9') {
					if (!n || out[n - 1] != '#')
						out[n++] = '#';
				} else if (*c == ' ' && n && out[n - 1] == ' ') {
					continue;
				} else {
					out[n++] = *c;
				}
		}
		l = e;
	}
	out[n] = 0;
}

/* The block after "<!-- trace: name -->" in text: [*start, *end). */
static bool block(char *text, const char *name, char **start, char **end)
{
	char marker[64];
	snprintf(marker, sizeof(marker), "<!-- trace: %s -->\n```\n", name);
	char *m = strstr(text, marker);
	if (!m)
		return false;
	*start = m + strlen(marker);
	*end = strstr(*start, "```\n");
	return *end != 0;
}

static void check_or_write(const char *name, const char *live)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/README.md", proc_root());
	char *text = proc_slurp(path), *s, *e;
	CHECK_MSG(block(text, name, &s, &e), "README.md has no block <!-- trace: %s -->", name);
	if (getenv("ROCKET_README_WRITE")) {
		FILE *f = fopen(path, "w");
		CHECK(f);
		fwrite(text, 1, (size_t)(s - text), f);
		fputs(live, f);
		fputs(e, f);
		fclose(f);
		printf("  README.md: trace %s rewritten\n", name);
		free(text);
		return;
	}
	*e = 0;
	static char a[1 << 16], b[1 << 16];
	const char *threads[] = { "[acceptor ]", "[reactor 0]" };
	for (int t = 0; t < 2; t++) {
		canon(s, threads[t], a, sizeof(a));
		canon(live, threads[t], b, sizeof(b));
		CHECK_MSG(strcmp(a, b) == 0,
			  "README.md's trace %s (%s) drifted from the server's:\n--- README\n%s--- "
			  "now\n%s"
			  "(ROCKET_README_WRITE=1 build/tests/test_readme_traces rewrites it)",
			  name, threads[t], a, b);
	}
	free(text);
}

static bool have_curl(void)
{
	if (system("command -v curl >/dev/null 2>&1") == 0)
		return true;
	printf("  no curl: the README's traces are of curl requests; skipped\n");
	return false;
}

TEST(readme_trace_of_plaintext_is_the_real_one)
{
	if (!have_curl())
		return;
	const char *const args[] = { "--trace", "--accept", "acceptor", 0 };
	char *live = capture(args, "/plaintext");
	check_or_write("plaintext", live);
	free(live);
}

TEST(readme_trace_of_a_file_with_root_is_the_real_one)
{
	if (!have_curl())
		return;
	struct tree t;
	tree_make(&t);
	put(&t, "index.html",
	    "<!DOCTYPE html>\n<title>Rocket</title>\n<p>Served by io_uring.</p>\n");
	set_mtime(&t, "index.html", 1767225600);
	const char *const args[] = { "--trace", "--accept", "acceptor", "--root", t.root, 0 };
	char *live = capture(args, "/index.html");
	check_or_write("file", live);
	free(live);
	tree_remove(&t);
}
