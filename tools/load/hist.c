/* tools/load/hist.c - percentiles from rocket-load's latency histogram.
 * Read next: tools/load/hist.h (the bucket layout), tools/load/report.c.
 */
#include "load/hist.h"

/* The middle of the bucket's value range. */
static uint64_t hist_value(unsigned idx)
{
	unsigned shift = idx >> HIST_SUB;
	uint64_t lo = (uint64_t)(idx & ((1U << HIST_SUB) - 1)) << shift;
	return shift ? lo + (1ULL << (shift - 1)) : lo;
}

uint64_t hist_pct(const struct hist *h, double pct)
{
	if (!h->n)
		return 0;
	uint64_t want = (uint64_t)(pct / 100.0 * (double)h->n + 0.5), seen = 0;
	if (want < 1)
		want = 1;
	for (unsigned i = 0; i < HIST_N; i++) {
		seen += h->c[i];
		if (seen >= want)
			return hist_value(i) < h->max ? hist_value(i) : h->max;
	}
	return h->max;
}
