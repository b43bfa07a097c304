/* tools/load/report.c - rocket-load's report: sums the per-thread stats and
 * histograms, prints text or JSON. Read next: tools/load/hist.c.
 */
#include <stdio.h>

#include "load/hist.h"
#include "load/report.h"

static void report_human_bytes(double v, char *buf, size_t cap)
{
	const char *u[] = { "B", "KB", "MB", "GB" };
	int i = 0;
	while (v >= 1024 && i < 3)
		v /= 1024, i++;
	snprintf(buf, cap, "%.2f%s", v, u[i]);
}

void report_print(struct load_worker *ws)
{
	static struct load_stats t;
	double secs = 0;
	for (unsigned i = 0; i < g_opt.threads; i++) {
		struct load_stats *s = &ws[i].st;
		t.req += s->req, t.bytes += s->bytes;
		for (int k = 0; k < 6; k++)
			t.status[k] += s->status[k];
		t.err_connect += s->err_connect, t.err_read += s->err_read;
		t.err_write += s->err_write, t.err_parse += s->err_parse;
		t.err_closed += s->err_closed, t.reconnects += s->reconnects;
		for (unsigned k = 0; k < g_ntmpl; k++) {
			t.t_req[k] += s->t_req[k];
			for (int c = 0; c < 6; c++)
				t.t_status[k][c] += s->t_status[k][c];
		}
		for (unsigned b = 0; b < HIST_N; b++)
			t.lat.c[b] += s->lat.c[b];
		t.lat.n += s->lat.n, t.lat.sum += s->lat.sum;
		if (s->lat.max > t.lat.max)
			t.lat.max = s->lat.max;
		double d = ws[i].rec_end > ws[i].rec_start
				   ? (double)(ws[i].rec_end - ws[i].rec_start) / 1e9
				   : 0;
		if (d > secs)
			secs = d;
	}
	if (secs <= 0)
		secs = 1e-9;
	uint64_t errs = t.err_connect + t.err_read + t.err_write + t.err_parse + t.err_closed;
	double rps = (double)t.req / secs, bps = (double)t.bytes / secs;
	double us[6] = { t.lat.n ? (double)t.lat.sum / (double)t.lat.n / 1e3 : 0,
			 hist_pct(&t.lat, 50) / 1e3,
			 hist_pct(&t.lat, 90) / 1e3,
			 hist_pct(&t.lat, 99) / 1e3,
			 hist_pct(&t.lat, 99.9) / 1e3,
			 t.lat.max / 1e3 };
	if (g_opt.json) {
		printf("{\"url\":\"%s\",\"connections\":%u,\"threads\":%u,\"pipeline\":%u,"
		       "\"duration_s\":%.3f,\"requests\":%llu,\"requests_per_s\":%.1f,"
		       "\"bytes\":%llu,\"bytes_per_s\":%.1f,"
		       "\"status\":{\"1xx\":%llu,\"2xx\":%llu,\"3xx\":%llu,\"4xx\":%llu,"
		       "\"5xx\":%llu,\"other\":%llu},"
		       "\"errors\":{\"total\":%llu,\"connect\":%llu,\"read\":%llu,\"write\":%llu,"
		       "\"parse\":%llu,\"closed\":%llu},\"reconnects\":%llu,"
		       "\"latency_us\":{\"mean\":%.1f,\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,"
		       "\"p99.9\":%.1f,\"max\":%.1f},",
		       g_opt.url, g_opt.conns, g_opt.threads, g_opt.pipeline, secs,
		       (unsigned long long)t.req, rps, (unsigned long long)t.bytes, bps,
		       (unsigned long long)t.status[1], (unsigned long long)t.status[2],
		       (unsigned long long)t.status[3], (unsigned long long)t.status[4],
		       (unsigned long long)t.status[5], (unsigned long long)t.status[0],
		       (unsigned long long)errs, (unsigned long long)t.err_connect,
		       (unsigned long long)t.err_read, (unsigned long long)t.err_write,
		       (unsigned long long)t.err_parse, (unsigned long long)t.err_closed,
		       (unsigned long long)t.reconnects, us[0], us[1], us[2], us[3], us[4], us[5]);
		printf("\"templates\":[");
		for (unsigned k = 0; k < g_ntmpl; k++) {
			printf("%s{\"name\":\"", k ? "," : "");
			for (const char *c = g_tmpl[k].name; *c; c++)
				printf(*c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
			printf("\",\"requests\":%llu,\"2xx\":%llu,\"3xx\":%llu,\"4xx\":%llu,"
			       "\"5xx\":%llu,\"other\":%llu}",
			       (unsigned long long)t.t_req[k], (unsigned long long)t.t_status[k][2],
			       (unsigned long long)t.t_status[k][3],
			       (unsigned long long)t.t_status[k][4],
			       (unsigned long long)t.t_status[k][5],
			       (unsigned long long)(t.t_status[k][0] + t.t_status[k][1]));
		}
		printf("]}\n");
		return;
	}
	char tb[32], bb[32];
	report_human_bytes(bps, tb, sizeof(tb));
	report_human_bytes((double)t.bytes, bb, sizeof(bb));
	printf("%s: %u connections, %u threads, pipeline %u, %.2fs\n", g_opt.url, g_opt.conns,
	       g_opt.threads, g_opt.pipeline, secs);
	printf("  latency (us)  mean %.1f  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n",
	       us[0], us[1], us[2], us[3], us[4], us[5]);
	printf("  %llu requests, %s read\n", (unsigned long long)t.req, bb);
	printf("  status 2xx %llu  3xx %llu  4xx %llu  5xx %llu  other %llu\n",
	       (unsigned long long)t.status[2], (unsigned long long)t.status[3],
	       (unsigned long long)t.status[4], (unsigned long long)t.status[5],
	       (unsigned long long)(t.status[0] + t.status[1]));
	printf("  errors %llu (connect %llu, read %llu, write %llu, parse %llu, closed %llu), "
	       "reconnects %llu\n",
	       (unsigned long long)errs, (unsigned long long)t.err_connect,
	       (unsigned long long)t.err_read, (unsigned long long)t.err_write,
	       (unsigned long long)t.err_parse, (unsigned long long)t.err_closed,
	       (unsigned long long)t.reconnects);
	for (unsigned k = 0; g_ntmpl > 1 && k < g_ntmpl; k++)
		printf("  %s: %llu requests, 2xx %llu  3xx %llu  4xx %llu  5xx %llu  other %llu\n",
		       g_tmpl[k].name, (unsigned long long)t.t_req[k],
		       (unsigned long long)t.t_status[k][2], (unsigned long long)t.t_status[k][3],
		       (unsigned long long)t.t_status[k][4], (unsigned long long)t.t_status[k][5],
		       (unsigned long long)(t.t_status[k][0] + t.t_status[k][1]));
	printf("Requests/sec: %.2f\nTransfer/sec: %s\n", rps, tb);
}
