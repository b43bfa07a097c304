/* tests/test_hello.c - embedding Rocket: build/hello (tools/hello.c) is a
 * program of its own, linked like the product from build/librocket.a
 * without libc, with one route of its own and the whole command line.
 */
#include "harness.h"
#include "proc.h"

#include <elf.h>
#include <sys/wait.h>
#include <unistd.h>

TEST(hello_answers_its_own_route_and_only_its_own)
{
	const char *bin = proc_build_path("hello");
	CHECK_MSG(access(bin, X_OK) == 0, "no %s", bin);
	const char *args[] = { "--bind", "127.0.0.1", "--port", "0", "--reactors", "1", NULL };
	struct proc p;
	int port;
	proc_spawn(&p, bin, args, NULL, NULL, NULL);
	CHECK_EQ(proc_wait_banner(&p, &port, 1), 1);
	char *r = http_get("127.0.0.1", port, "/hello");
	const char *body = http_body_200(r);
	CHECK_MSG(body && !strcmp(body, "Hello from my route\n"), "GET /hello:\n%s", r ? r : "");
	CHECK_MSG(strstr(r, "\r\nContent-Length: 20\r\n"), "GET /hello:\n%s", r);
	free(r);
	/* Its routes replace the built-in ones. */
	r = http_get("127.0.0.1", port, "/plaintext");
	CHECK_MSG(r && !strncmp(r, "HTTP/1.1 404 ", 13), "GET /plaintext:\n%s", r ? r : "");
	free(r);
	proc_stop(&p);
}

/* Static, no interpreter, no dynamic section: the product's shape. */
TEST(hello_is_a_static_binary_without_libc)
{
	const char *bin = proc_build_path("hello");
	FILE *f = fopen(bin, "rb");
	CHECK_MSG(f, "no %s", bin);
	Elf64_Ehdr eh;
	CHECK_EQ(fread(&eh, sizeof(eh), 1, f), 1);
	CHECK(memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0);
	CHECK_EQ(eh.e_type, ET_EXEC);
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		CHECK(fseek(f, (long)(eh.e_phoff + (uint64_t)i * eh.e_phentsize), SEEK_SET) == 0);
		CHECK_EQ(fread(&ph, sizeof(ph), 1, f), 1);
		CHECK(ph.p_type != PT_INTERP && ph.p_type != PT_DYNAMIC && ph.p_type != PT_TLS);
	}
	fclose(f);
}

/* librocket.a is the product less src/main.c: rk_main is the program's. */
TEST(librocket_holds_the_runtime_but_no_rk_main)
{
	char cmd[700], line[256];
	snprintf(cmd, sizeof(cmd), "nm -g --defined-only %s 2>/dev/null",
		 proc_build_path("librocket.a"));
	FILE *p = popen(cmd, "r");
	CHECK(p);
	bool start = false, cli = false, main_ = false;
	while (fgets(line, sizeof(line), p)) {
		start |= strstr(line, " T _start\n") != NULL;
		cli |= strstr(line, " T rk_cli_main\n") != NULL;
		main_ |= strstr(line, " T rk_main\n") != NULL;
	}
	pclose(p);
	CHECK_MSG(start && cli, "librocket.a lacks _start or rk_cli_main");
	CHECK_MSG(!main_, "librocket.a defines rk_main");
}
