/* tools/fixed-server.c - Rocket's engine with no HTTP parser: every request
 * (found by its blank line alone) gets one pre-rendered response.
 *
 * The yardstick for the HTTP layer's cost: `tools/bench/plaintext` and the HTTP issue
 * compare build/rocket against this under the same pipelined load. It scans
 * only for "\r\n\r\n" (carrying 3 bytes of state across buffers), so it is
 * the fastest a correct pipelining server on this engine can be.
 *   build/fixed-server [--port N] [--reactors N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rocket/engine.h"

static const char resp[] = "HTTP/1.1 200 OK\r\nServer: rocket\r\n"
			   "Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n"
			   "Content-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";

struct fixed_conn {
	uint32_t match; /* bytes of "\r\n\r\n" matched at the end of the last segment */
};

static void fixed_on_data(struct rk_conn *c, const struct rk_seg *segs, unsigned n)
{
	struct fixed_conn *fc = rk_conn_app(c);
	static const char end[] = "\r\n\r\n";
	uint32_t requests = 0, m = fc->match;
	for (unsigned i = 0; i < n; i++)
		for (uint32_t k = 0; k < segs[i].len; k++) {
			char ch = (char)segs[i].p[k];
			m = ch == end[m] ? m + 1 : (ch == '\r' ? 1 : 0);
			if (m == 4) {
				requests++;
				m = 0;
			}
		}
	fc->match = m;
	for (uint32_t r = 0; r < requests; r++)
		if (rk_conn_write(c, resp, sizeof(resp) - 1) < (long)sizeof(resp) - 1)
			break; /* full send buffer: a benchmark-only shortcut */
	rk_conn_count_request(c, requests);
	rk_conn_release(c);
}

int main(int argc, char **argv)
{
	struct rk_engine_config cfg;
	rk_engine_defaults(&cfg);
	cfg.reactors = 1;
	cfg.send_buffer = 65536;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--port"))
			cfg.port = (uint16_t)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--reactors"))
			cfg.reactors = (uint32_t)atoi(argv[i + 1]);
	}
	cfg.handler.on_data = fixed_on_data;
	cfg.app_state_size = sizeof(struct fixed_conn);
	struct rk_engine *e;
	int ret = rk_engine_create(&e, &cfg);
	if (ret < 0) {
		fprintf(stderr, "fixed-server: %s\n", strerror(-ret));
		return 1;
	}
	ret = rk_engine_run(e);
	rk_engine_destroy(e);
	return ret < 0;
}
