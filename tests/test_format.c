/* tests/test_format.c - every C file of the tree is laid out as
 * .clang-format says: layout is the formatter's job, not the reviewer's.
 *
 * Runs `clang-format --dry-run --Werror` (clang-format(1): it prints each
 * place it would change and exits non-zero) on every .c and .h under
 * src/, include/, arch/, tests/ and tools/. clang-format comes from
 * Debian's package of that name; when it is missing the test installs it
 * with apt-get if it may (root), else it says why it is skipped.
 * Read next: tests/test_docs.c.
 */
#include "harness.h"

#include <errno.h>
#include <unistd.h>

static int has_formatter(void)
{
	return system("clang-format --version >/dev/null 2>&1") == 0;
}

/* The same package the README names for `make test`. */
static int install_formatter(void)
{
	if (geteuid() != 0 || system("command -v apt-get >/dev/null 2>&1") != 0)
		return 0;
	printf("  installing clang-format (apt-get install clang-format)\n");
	fflush(stdout);
	if (system("DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang-format "
		   ">/dev/null 2>&1") != 0)
		return 0;
	return has_formatter();
}

/* Every .c and .h of the five source folders, NUL-separated, sorted. */
#define FILES_CMD "find src include arch tests tools -name '*.[ch]' -print0 | sort -z"

TEST_T(every_c_file_is_as_clang_format_lays_it_out, 240)
{
	if (!has_formatter() && !install_formatter()) {
		printf("  skip: no clang-format here and apt-get could not install it "
		       "(run as root with Debian's archive reachable)\n");
		return;
	}
	CHECK_MSG(access(".clang-format", R_OK) == 0,
		  ".clang-format missing (cwd is not the tree)");
	FILE *n = popen(FILES_CMD " | tr '\\0' '\\n' | wc -l", "r");
	int files = 0;
	CHECK(n && fscanf(n, "%d", &files) == 1);
	pclose(n);
	CHECK_MSG(files > 100, "only %d C files found", files);
	/* The first complaints only: one is enough to know the file. */
	int rc = system(
		FILES_CMD
		" | xargs -0 clang-format --dry-run --Werror 2>/tmp/rocket-format.$$;"
		" s=$?; head -n 30 /tmp/rocket-format.$$; rm -f /tmp/rocket-format.$$; exit $s");
	CHECK_MSG(rc == 0, "clang-format would change the files above: run `make format`");
	printf("  %d files as .clang-format lays them out\n", files);
}
