/* tests/proc.h - start a server binary as a child process and talk to it:
 * the helpers the command-line, systemd, privilege, embedding, server
 * process and signal tests share, and under tests/wire.h the HTTP ones.
 * The child's stdout and stderr go to files; it dies with the test.
 */
#ifndef ROCKET_TEST_PROC_H
#define ROCKET_TEST_PROC_H

#include <stdbool.h>
#include <sys/types.h>

struct proc {
	pid_t pid;
	char out[64], err[64]; /* its stdout and stderr, in files */
};

/* Run in the child between fork and exec (may be NULL): set up fds,
 * limits, credentials. */
typedef void (*proc_hook)(void *arg);

/* $ROCKET_BIN (sanitized hosted server), $ROCKET_STATIC (the product, NULL
 * when absent), $ROCKET_BUILD/name. */
const char *proc_bin_hosted(void);
const char *proc_bin_static(void);
const char *proc_build_path(const char *name);
const char *proc_root(void);
/* body(proc_bin_hosted()), then body(proc_bin_static()) when it is there. */
void proc_for_each_bin(void (*body)(const char *bin));

/* Start bin with args (NULL-terminated) and env additions ("K=V", NULL
 * terminated, may be NULL). */
void proc_spawn(struct proc *p, const char *bin, const char *const *args, const char *const *env,
		proc_hook hook, void *arg);
/* Wait up to secs; the wait status, or -1 if still running. */
int proc_wait(struct proc *p, double secs);
/* SIGTERM, then wait up to 10 s for exit 0 with no sanitizer report (fails
 * the test otherwise); removes files. */
void proc_stop(struct proc *p);
/* The same without the SIGTERM: it was sent already. */
void proc_reap(struct proc *p);
void proc_kill(struct proc *p);
void proc_cleanup(struct proc *p);
/* Fails the test if err (what the server printed) holds a sanitizer report. */
void proc_check_clean(const char *err);

/* Run to completion (at most 20 s): exit status, and its stderr's first
 * line (without the newline) in line. */
int proc_run(const char *bin, const char *const *args, const char *const *env, proc_hook hook,
	     void *arg, char *line, size_t cap);

/* Wait for "listening on A, B | ..." in its stderr; fill ports (up to max)
 * with the port of each address, return how many. */
int proc_wait_banner(struct proc *p, int *ports, int max);
/* proc_spawn without env or hook, then the port of its banner's first
 * address (args should hold --port 0). */
int proc_start_banner(struct proc *p, const char *bin, const char *const *args);

/* --quiet prints no banner: start `bin args... --port P --quiet` on a free
 * port P and wait (20 s) until it accepts; another port if the server could
 * not bind that one. Returns P. */
int proc_start_quiet(struct proc *p, const char *bin, const char *const *args);
/* A free loopback port right now (the kernel's choice for port 0). */
int proc_free_port(void);
/* Moves this test process (and the servers it spawns after) into a network
 * namespace of its own with only the loopback interface, up: there a
 * listener on "::" or "0.0.0.0" is reachable from this machine alone.
 * For the tests of the all-interfaces default. Returns false (and says
 * why) where unshare(CLONE_NEWNET) is refused: the caller skips. */
bool proc_loopback_only_net(void);

char *proc_slurp(const char *path); /* malloc'd, NUL-terminated */
double proc_now(void);

/* Connect to 127.0.0.1 (or addr) port; -1 on failure. TCP_NODELAY (each
 * write goes out as it is made), reads time out after 10 s. */
int tcp_connect(const char *addr, int port);
/* A blocking connection to 127.0.0.1:port whose receive buffer is set to
 * rcvbuf before the handshake (the window it advertises); fails the test
 * if it cannot connect. */
int tcp_connect_rcvbuf(int port, int rcvbuf);
/* GET path on a new connection; the whole response (malloc'd) or NULL. */
char *http_get(const char *addr, int port, const char *path);
/* The body of response r with status 200, or NULL. */
const char *http_body_200(const char *r);

#endif
