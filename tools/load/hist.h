/* tools/load/hist.h - rocket-load's latency histogram: log-linear (HDR-style),
 * 2^HIST_SUB sub-buckets per octave, so every value lands within ~6% of its
 * bucket's middle. hist_add is inline: it runs once per response.
 * Read next: tools/load/hist.c (percentiles), tools/load/report.c.
 */
#ifndef ROCKET_TOOLS_LOAD_HIST_H
#define ROCKET_TOOLS_LOAD_HIST_H

#include <stdint.h>

#define HIST_SUB 8
#define HIST_N   ((64 - HIST_SUB + 1) << HIST_SUB)

struct hist {
	uint64_t c[HIST_N];
	uint64_t n, sum, max;
};

static inline unsigned hist_index(uint64_t v)
{
	if (v < (1U << HIST_SUB))
		return (unsigned)v;
	unsigned shift = (unsigned)(63 - __builtin_clzll(v)) - HIST_SUB + 1;
	return (shift << HIST_SUB) + (unsigned)(v >> shift);
}

static inline void hist_add(struct hist *h, uint64_t v)
{
	h->c[hist_index(v)]++;
	h->n++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}
/* The value at percentile pct (0..100), capped at the largest value seen. */
uint64_t hist_pct(const struct hist *h, double pct);

#endif
