/* tools/load/report.h - rocket-load's result: the workers' counters summed,
 * printed as text (wrk-like) or as one JSON object (--json).
 * Read next: tools/load/report.c.
 */
#ifndef ROCKET_TOOLS_LOAD_REPORT_H
#define ROCKET_TOOLS_LOAD_REPORT_H

#include "load/load.h"

/* Sum g_opt.threads workers' stats and print them to stdout. */
void report_print(struct load_worker *ws);

#endif
