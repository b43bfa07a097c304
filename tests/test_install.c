/* tests/test_install.c - what an operator or a packager runs: `make
 * install` with PREFIX and DESTDIR puts exactly the listed files in place
 * and `make uninstall` takes exactly those away; the systemd units pass
 * `systemd-analyze verify` and harden the service as the README says;
 * `make help` lists every target, one line each.
 */
#include "harness.h"
#include "proc.h"

#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const installed[] = {
	"bin/rocket",
	"bin/uring-probe",
	"bin/rocket-load",
	"share/man/man8/rocket.8",
	"lib/systemd/system/rocket.service",
	"lib/systemd/system/rocket.socket",
};
#define NINSTALLED (sizeof(installed) / sizeof(installed[0]))

/* Output and exit status of a shell command (stderr too). */
static int shell(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	CHECK(p);
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = 0;
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* make in the source tree, on the build directory the tests come from,
 * with the compiler they were built with (nothing is rebuilt). */
static int run_make(const char *what, char *out, size_t cap)
{
	char cmd[2048];
	const char *cc = getenv("ROCKET_CC");
	const char *build = getenv("ROCKET_BUILD");
	snprintf(cmd, sizeof(cmd),
		 "env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make --no-print-directory -C '%s' "
		 "BUILD='%s' %s%s%s %s 2>&1",
		 proc_root(), build && *build ? build : "build", cc && *cc ? "CC='" : "",
		 cc && *cc ? cc : "", cc && *cc ? "'" : "", what);
	return shell(cmd, out, cap);
}

static int count_files(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "find '%s' -type f | wc -l", dir);
	FILE *p = popen(cmd, "r");
	int n = -1;
	CHECK(p && fscanf(p, "%d", &n) == 1);
	pclose(p);
	return n;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

TEST_T(install_puts_exactly_the_listed_files_and_uninstall_removes_them, 120)
{
	char dest[] = "/tmp/rocket-destdir-XXXXXX", out[16384], what[512], path[700];
	CHECK(mkdtemp(dest));
	snprintf(what, sizeof(what), "install DESTDIR=%s PREFIX=/usr", dest);
	CHECK_MSG(run_make(what, out, sizeof(out)) == 0, "make %s:\n%s", what, out);
	for (size_t i = 0; i < NINSTALLED; i++) {
		snprintf(path, sizeof(path), "%s/usr/%s", dest, installed[i]);
		struct stat st;
		CHECK_MSG(stat(path, &st) == 0, "not installed: %s", path);
		bool exe = !strncmp(installed[i], "bin/", 4);
		CHECK_MSG((st.st_mode & 0777) == (exe ? 0755u : 0644u), "%s: mode %o", path,
			  st.st_mode & 0777);
	}
	CHECK_EQ(count_files(dest), (int)NINSTALLED);
	/* The unit runs the binary where PREFIX put it. */
	snprintf(path, sizeof(path), "%s/usr/lib/systemd/system/rocket.service", dest);
	char *unit = proc_slurp(path);
	CHECK_MSG(strstr(unit, "\nExecStart=/usr/bin/rocket\n"), "ExecStart:\n%s", unit);
	free(unit);
	/* The installed binary is the product. */
	snprintf(path, sizeof(path), "%s/usr/bin/rocket", dest);
	const char *args[] = { "--version", NULL };
	CHECK_EQ(proc_run(path, args, NULL, NULL, NULL, NULL, 0), 0);

	/* Someone else's file in the same directories stays. */
	snprintf(path, sizeof(path), "%s/usr/bin/other-tool", dest);
	FILE *f = fopen(path, "w");
	CHECK(f);
	fclose(f);
	snprintf(what, sizeof(what), "uninstall DESTDIR=%s PREFIX=/usr", dest);
	CHECK_MSG(run_make(what, out, sizeof(out)) == 0, "make %s:\n%s", what, out);
	CHECK_EQ(count_files(dest), 1);
	CHECK(access(path, F_OK) == 0);
	nftw(dest, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static bool have(const char *cmd)
{
	char sh[128];
	snprintf(sh, sizeof(sh), "command -v %s >/dev/null 2>&1", cmd);
	return system(sh) == 0;
}

TEST_T(systemd_units_verify_and_harden_the_service, 120)
{
	char prefix[] = "/tmp/rocket-prefix-XXXXXX", out[16384], what[512], path[700];
	CHECK(mkdtemp(prefix));
	/* Installed for real under a scratch PREFIX: ExecStart= then names a
	 * binary that exists, as verify wants. */
	snprintf(what, sizeof(what), "install PREFIX=%s", prefix);
	CHECK_MSG(run_make(what, out, sizeof(out)) == 0, "make %s:\n%s", what, out);
	snprintf(path, sizeof(path), "%s/lib/systemd/system/rocket.service", prefix);
	char *svc = proc_slurp(path);
	static const char *const hardening[] = {
		"\nType=notify\n",
		"\nDynamicUser=yes\n",
		"\nProtectSystem=strict\n",
		"\nProtectHome=yes\n",
		"\nPrivateTmp=yes\n",
		"\nNoNewPrivileges=yes\n",
		"\nCapabilityBoundingSet=\n",
		"\nRequires=rocket.socket\n",
	};
	for (size_t i = 0; i < sizeof(hardening) / sizeof(hardening[0]); i++)
		CHECK_MSG(strstr(svc, hardening[i]), "rocket.service lacks %s", hardening[i] + 1);
	free(svc);
	snprintf(path, sizeof(path), "%s/lib/systemd/system/rocket.socket", prefix);
	char *sock = proc_slurp(path);
	CHECK_MSG(strstr(sock, "\nListenStream=8080\n"), "rocket.socket:\n%s", sock);
	free(sock);

	if (!have("systemd-analyze")) {
		printf("  skip: systemd-analyze is not installed (Debian: systemd)\n");
	} else {
		char cmd[2048];
		/* MANPATH: Documentation=man:rocket(8) must resolve to the page
		 * just installed. */
		snprintf(cmd, sizeof(cmd),
			 "cd %s/lib/systemd/system && MANPATH=%s/share/man systemd-analyze verify "
			 "./rocket.socket ./rocket.service 2>&1",
			 prefix, prefix);
		FILE *p = popen(cmd, "r");
		CHECK(p);
		size_t n = fread(out, 1, sizeof(out) - 1, p);
		out[n] = 0;
		int st = pclose(p);
		CHECK_MSG(st == 0 && n == 0, "systemd-analyze verify (status %d):\n%s", st, out);
	}
	nftw(prefix, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Every target declared .PHONY (but the helpers FORCE and fuzz-runtime) has
 * its line in `make help`. */
TEST(make_help_lists_every_target_with_one_line)
{
	char out[8192], path[600];
	CHECK_EQ(run_make("help", out, sizeof(out)), 0);
	snprintf(path, sizeof(path), "%s/Makefile", proc_root());
	char *mk = proc_slurp(path);
	int targets = 0, missing = 0;
	for (char *l = mk; (l = strstr(l, "\n.PHONY:")); l++) {
		char *end = strchr(l + 1, '\n'), *t = l + 8;
		while (t < end) {
			while (*t == ' ' || *t == '\t')
				t++;
			size_t n = strcspn(t, " \t\n");
			if (!n)
				break;
			char name[64], want[80];
			snprintf(name, sizeof(name), "%.*s", (int)n, t);
			t += n;
			if (!strcmp(name, "FORCE") || !strcmp(name, "fuzz-runtime"))
				continue;
			targets++;
			snprintf(want, sizeof(want), "\n  %s ", name);
			char *hit = strstr(out, want);
			if (!hit || strstr(hit + 1, want)) {
				fprintf(stderr, "  make help: %s %s\n", name,
					hit ? "listed twice" : "not listed");
				missing++;
			} else if (strcspn(hit + strlen(want), "\n") < 3) {
				fprintf(stderr, "  make help: %s has no description\n", name);
				missing++;
			}
		}
	}
	free(mk);
	CHECK_MSG(targets >= 12, "only %d phony targets", targets);
	CHECK_MSG(missing == 0, "make help:\n%s", out);
}

/* Cross-building: ARCH=aarch64 without CC compiles with Debian's
 * aarch64-linux-gnu-gcc (make -n: nothing is built, no compiler needed). */
TEST(arch_aarch64_without_cc_picks_the_cross_compiler)
{
	char out[1 << 16], cmd[2048], dir[] = "/tmp/rocket-arch-XXXXXX";
	CHECK(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
		 "env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u CC make --no-print-directory -n -C "
		 "'%s' ARCH=aarch64 BUILD='%s' '%s/rocket' 2>&1",
		 proc_root(), dir, dir);
	shell(cmd, out, sizeof(out));
	CHECK_MSG(strstr(out, "\naarch64-linux-gnu-gcc ") ||
			  !strncmp(out, "aarch64-linux-gnu-gcc ", 22),
		  "no aarch64-linux-gnu-gcc in make -n ARCH=aarch64:\n%.2000s", out);
	rmdir(dir);
}

/* make test-aarch64 says it adds the arm64 package architecture before it
 * installs anything: dpkg (no foreign architecture) and apt-get (which
 * stops it there) are stubs, the cross compiler is one that is missing. */
TEST(test_aarch64_says_it_adds_arm64_before_it_installs)
{
	char out[1 << 16], cmd[4096], dir[] = "/tmp/rocket-a64-XXXXXX";
	CHECK(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p '%s/bin' && printf '#!/bin/sh\\nexit 0\\n' >'%s/bin/dpkg' && "
		 "printf '#!/bin/sh\\necho STUB-apt-get \"$@\"\\nexit 1\\n' >'%s/bin/apt-get' && "
		 "chmod +x '%s/bin/dpkg' '%s/bin/apt-get' && "
		 "env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS PATH='%s/bin':\"$PATH\" make "
		 "--no-print-directory -C '%s' BUILD='%s/build' A64_CC=rocket-no-such-cc "
		 "test-aarch64 2>&1",
		 dir, dir, dir, dir, dir, dir, proc_root(), dir);
	CHECK(shell(cmd, out, sizeof(out)) != 0);
	const char *say = strstr(out, "test-aarch64: adds the arm64 package architecture");
	const char *apt = strstr(out, "STUB-apt-get");
	CHECK_MSG(say && apt && say < apt, "make test-aarch64 said:\n%.2000s", out);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_EQ(system(cmd), 0);
}
