/* src/cli/cli.h - what the command line's files share: every option in one
 * struct, and the steps rk_cli_main() takes in order (parse, resolve the
 * user, listen, drop privileges, notify).
 * Read next: src/cli/cli.c.
 */
#ifndef ROCKET_CLI_INTERNAL_H
#define ROCKET_CLI_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "rocket/cli.h"
#include "rocket/engine.h"
#include "rocket/server.h"
#include "rocket/static.h"

/* --mount trees at most, and routes in all (theirs, the program's) */
#define RK_CLI_MOUNTS 8
#define RK_CLI_ROUTES 64

struct rk_cli {
	struct rk_engine_config cfg;
	struct rk_server_config hc;
	char **envp;
	uint32_t port, backlog; /* --port, --backlog before range checks */
	const char *binds[RK_MAX_LISTEN];
	uint32_t nbinds;             /* --bind given this many times (0: the default) */
	const char *user;            /* --user as given, or NULL */
	const char *chroot_dir;      /* --chroot, or NULL */
	const char *access_log;      /* --access-log, or NULL */
	bool no_root;                /* --no-root */
	bool direct;                 /* --direct (default on) */
	const char *accept;          /* --accept: "auto", "acceptor" or "reactor" */
	uint32_t uid, gid;           /* --user resolved */
	bool inherited;              /* serving systemd's sockets */
	const char *notify;          /* $NOTIFY_SOCKET, or NULL */
	bool ready;                  /* the engine has started serving */
	const char *root_dir;        /* --root, or NULL */
	char *mounts[RK_CLI_MOUNTS]; /* --mount PREFIX=DIR as given */
	uint32_t nmounts;
	struct rk_static st; /* --index, --list-dirs, ...: every tree's */
	struct rk_static sites[RK_CLI_MOUNTS + 1];
	struct rk_route routes[RK_CLI_ROUTES + 1];
};

/* The default bind address; "0.0.0.0" is tried when IPv6 is off. */
#define RK_CLI_BIND_DEFAULT "::"

/* flags.c: 0 to go on, 1 when done (--help, --version), -1 on bad usage
 * (the message is printed). */
int rk_cli_parse(struct rk_cli *c, int argc, char **argv);
/* version.c: "rocket 0.3.0 (1a2b3c4)". */
extern const char rk_cli_version[];

/* sockets.c: fill cfg.listen_fds from systemd (LISTEN_PID/LISTEN_FDS) or
 * by binding every --bind address. 0, or -1 with the cause printed. */
int rk_cli_listen(struct rk_cli *c);
void rk_cli_unlisten(struct rk_cli *c);

/* user.c: --user to uid/gid (numbers, or names from /etc/passwd and
 * /etc/group) and the --no-root check, before anything else; then, after
 * binding and before any thread exists, --chroot and the drop itself.
 * 0, or -1 with the cause printed. */
int rk_cli_user_resolve(struct rk_cli *c);
int rk_cli_drop(struct rk_cli *c);

/* static.c: open every --root/--mount directory (after the drop: as the
 * user that serves) and put their routes before the program's. 0, or -1
 * with the cause printed. */
int rk_cli_static(struct rk_cli *c);

/* notify.c: one sd_notify(3) datagram ("READY=1") to $NOTIFY_SOCKET. */
int rk_cli_notify(const char *sock, const char *msg);

/* cli.c: helpers the others use. */
const char *rk_cli_getenv(char **envp, const char *name);
/* The number at the start of a small file (a sysctl), or dflt. */
uint32_t rk_cli_read_u32(const char *path, uint32_t dflt);
/* A whole string of decimal digits that fits in 32 bits. */
bool rk_cli_u32(const char *s, uint32_t *out);

#endif
