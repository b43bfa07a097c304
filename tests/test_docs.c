/* tests/test_docs.c - the README names files and functions; they must
 * exist. Every `path/to/file.[chS]` and every `rk_name()` / `sys_name()`
 * written in README.md is looked up in the tree, so the reading guide
 * cannot drift from the code. */
#include "harness.h"

#include <regex.h>
#include <stdlib.h>

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	size_t got = fread(buf, 1, (size_t)n, f);
	fclose(f);
	buf[got] = 0;
	if (len)
		*len = got;
	return buf;
}

static const char *root(void)
{
	const char *r = getenv("ROCKET_ROOT");
	return r ? r : ".";
}

/* Is `name(` defined or declared somewhere under src/, include/, arch/,
 * tools/? (A definition or prototype: the name followed by "(".) */
static int symbol_exists(const char *name)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "grep -rqE '\\b%s\\s*\\(' %s/src %s/include %s/arch %s/tools 2>/dev/null", name,
		 root(), root(), root(), root());
	return system(cmd) == 0;
}

static int file_exists(const char *rel)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root(), rel);
	FILE *f = fopen(path, "r");
	if (f)
		fclose(f);
	return f != NULL;
}

static int check(const char *text, const char *pattern, int (*exists)(const char *), int group)
{
	regex_t re;
	regmatch_t m[3];
	int missing = 0, seen = 0;
	CHECK(regcomp(&re, pattern, REG_EXTENDED) == 0);
	for (const char *p = text; regexec(&re, p, 3, m, 0) == 0; p += m[0].rm_eo) {
		char name[256];
		int n = (int)(m[group].rm_eo - m[group].rm_so);
		if (n <= 0 || n >= (int)sizeof(name))
			continue;
		memcpy(name, p + m[group].rm_so, (size_t)n);
		name[n] = 0;
		seen++;
		if (!exists(name)) {
			fprintf(stderr, "  README names %s, which does not exist\n", name);
			missing++;
		}
	}
	regfree(&re);
	CHECK_MSG(seen > 0, "README names nothing matching %s", pattern);
	return missing;
}

TEST(readme_names_only_files_that_exist)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/README.md", root());
	char *text = slurp(path, NULL);
	CHECK(text);
	int missing = check(text, "((src|include|arch|tests|tools)/[A-Za-z0-9_./-]+\\.(c|h|S))",
			    file_exists, 1);
	CHECK_EQ(missing, 0);
	free(text);
}

TEST(readme_names_only_functions_that_exist)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/README.md", root());
	char *text = slurp(path, NULL);
	CHECK(text);
	int missing = check(text, "\\b((rk|sys)_[a-z0-9_]+)\\(\\)", symbol_exists, 1);
	CHECK_EQ(missing, 0);
	free(text);
}

TEST(every_source_file_opens_by_saying_what_to_read_next)
{
	/* Every file of the server (src/, include/, arch/) opens with a
	 * comment that ends its story with the file to read next. */
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "cd %s && find src include arch -name '*.[chS]' | sort", root());
	FILE *p = popen(cmd, "r");
	CHECK(p);
	char rel[256];
	int files = 0, missing = 0;
	while (fgets(rel, sizeof(rel), p)) {
		rel[strcspn(rel, "\n")] = 0;
		char path[600];
		snprintf(path, sizeof(path), "%s/%s", root(), rel);
		char *text = slurp(path, NULL);
		CHECK_MSG(text, "cannot read %s", rel);
		char *end = strstr(text, "*/");
		if (!end || strncmp(text, "/*", 2) != 0) {
			fprintf(stderr, "  %s does not open with a comment\n", rel);
			missing++;
		} else {
			*end = 0;
			if (!strstr(text, "Read next") && !strstr(text, "read next")) {
				fprintf(stderr,
					"  %s: opening comment names nothing to read next\n", rel);
				missing++;
			}
		}
		files++;
		free(text);
	}
	pclose(p);
	CHECK(files > 30);
	CHECK_EQ(missing, 0);
}

/* The "Read next" lines form one path: it starts at the ABI header, every
 * server file is on it exactly once, and none is left unreachable (no
 * loop, no branch). The last file points out of the server (tools/...). */
#define DOCS_MAX_FILES 256
static int docs_index(char names[][128], int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

TEST(read_next_lines_form_one_path_through_every_server_file)
{
	static char names[DOCS_MAX_FILES][128], next[DOCS_MAX_FILES][128];
	char cmd[600];
	snprintf(cmd, sizeof(cmd),
		 "cd %s && find src include arch -name '*.[chS]' -o -name '*.def' | sort", root());
	FILE *p = popen(cmd, "r");
	CHECK(p);
	int n = 0;
	regex_t re;
	CHECK(regcomp(&re, "[Rr]ead next:?[[:space:]]+([A-Za-z0-9_./-]+[A-Za-z0-9_/-])",
		      REG_EXTENDED) == 0);
	while (n < DOCS_MAX_FILES && fgets(names[n], sizeof(names[n]), p)) {
		names[n][strcspn(names[n], "\n")] = 0;
		char path[600];
		snprintf(path, sizeof(path), "%s/%s", root(), names[n]);
		char *text = slurp(path, NULL);
		CHECK_MSG(text, "cannot read %s", names[n]);
		char *end = strstr(text, "*/");
		if (end)
			*end = 0;
		regmatch_t m[2];
		next[n][0] = 0;
		if (regexec(&re, text, 2, m, 0) == 0) {
			int len = (int)(m[1].rm_eo - m[1].rm_so);
			snprintf(next[n], sizeof(next[n]), "%.*s", len, text + m[1].rm_so);
		}
		free(text);
		n++;
	}
	pclose(p);
	regfree(&re);
	CHECK(n > 30 && n < DOCS_MAX_FILES);
	int indeg[DOCS_MAX_FILES] = { 0 }, outside = 0, bad = 0;
	for (int i = 0; i < n; i++) {
		int j = docs_index(names, n, next[i]);
		if (j >= 0) {
			indeg[j]++;
		} else {
			outside++;
			fprintf(stderr, "  %s: read next %s (outside the server)\n", names[i],
				next[i][0] ? next[i] : "(nothing)");
		}
	}
	for (int i = 0; i < n; i++)
		if (indeg[i] > 1) {
			fprintf(stderr, "  %s is named next by %d files\n", names[i], indeg[i]);
			bad++;
		}
	CHECK_EQ(bad, 0);
	CHECK_EQ(outside, 1); /* only the path's last file leaves the server */
	int at = docs_index(names, n, "include/rocket/abi/io_uring.h"), seen = 0;
	CHECK(at >= 0);
	CHECK_EQ(indeg[at], 0);
	while (at >= 0 && seen <= n) {
		seen++;
		at = docs_index(names, n, next[at]);
	}
	CHECK_MSG(seen == n, "the path from the ABI header reaches %d of %d files", seen, n);
}
