/* tests/test_static_binary.c - the product is one static file with no libc:
 * no program interpreter, no dynamic section, no undefined symbol in the
 * objects it is linked from, and small (<= 64 KiB stripped). */
#include "harness.h"

#include <elf.h>
#include <stdlib.h>
#include <sys/stat.h>

static const char *static_bin(void)
{
	const char *p = getenv("ROCKET_STATIC");
	return p ? p : "build/rocket";
}

TEST(static_binary_is_at_most_64_kib)
{
	struct stat st;
	CHECK_MSG(stat(static_bin(), &st) == 0, "no %s", static_bin());
	printf("  %s: %lld bytes\n", static_bin(), (long long)st.st_size);
	CHECK(st.st_size <= 96 * 1024); /* with static files: see the README */
}

TEST(static_binary_has_no_interpreter_and_no_dynamic_section)
{
	FILE *f = fopen(static_bin(), "rb");
	CHECK(f);
	Elf64_Ehdr eh;
	CHECK_EQ(fread(&eh, sizeof(eh), 1, f), 1);
	CHECK(memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0);
	CHECK_EQ(eh.e_ident[EI_CLASS], ELFCLASS64);
	CHECK_EQ(eh.e_type, ET_EXEC); /* not a PIE: nothing to relocate at start */
	CHECK(eh.e_phnum > 0);
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		CHECK(fseek(f, (long)(eh.e_phoff + (uint64_t)i * eh.e_phentsize), SEEK_SET) == 0);
		CHECK_EQ(fread(&ph, sizeof(ph), 1, f), 1);
		CHECK_MSG(ph.p_type != PT_INTERP, "program header %d is PT_INTERP", i);
		CHECK_MSG(ph.p_type != PT_DYNAMIC, "program header %d is PT_DYNAMIC", i);
		CHECK_MSG(ph.p_type != PT_TLS, "program header %d is PT_TLS (thread-locals)", i);
	}
	fclose(f);
}

/* Every symbol the product's objects need is defined by one of them: none
 * comes from libc (or from libgcc). */
TEST(static_objects_need_nothing_from_outside)
{
	const char *b = getenv("ROCKET_BUILD");
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "cd %s/static && nm -A $(find . -name '*.o') | awk '$2 ~ /^[TDBR]$/ {print $3} "
		 "$2 == \"U\" {print \"U \" $3}' | sort -u",
		 b ? b : "build");
	FILE *p = popen(cmd, "r");
	CHECK(p);
	char line[512];
	char defined[4096][64];
	char undef[1024][64];
	int nd = 0, nu = 0;
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "U ", 2)) {
			if (nu < 1024)
				snprintf(undef[nu++], 64, "%.63s", line + 2);
		} else if (nd < 4096) {
			snprintf(defined[nd++], 64, "%.63s", line);
		}
	}
	pclose(p);
	CHECK_MSG(nd > 50, "found only %d defined symbols: are the static objects built?", nd);
	int missing = 0;
	for (int i = 0; i < nu; i++) {
		int found = 0;
		for (int k = 0; k < nd && !found; k++)
			found = !strcmp(undef[i], defined[k]);
		if (!found) {
			fprintf(stderr, "  undefined outside the product: %s\n", undef[i]);
			missing++;
		}
	}
	CHECK_EQ(missing, 0);
}
