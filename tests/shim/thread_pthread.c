/* tests/shim/thread_pthread.c - include/rocket/thread.h on pthreads, for the
 * hosted build: AddressSanitizer and UBSan need to know about every thread,
 * which raw clone(2) threads (src/rt/thread.c) would hide from them.
 * Follows pthread_create(3), pthread_join(3), sched_setaffinity(2).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>

#include "rocket/thread.h"

_Static_assert(sizeof(pthread_t) <= sizeof(uint64_t), "pthread_t fits rk_thread.handle");

static void *shim_thread_entry(void *p)
{
	struct rk_thread *t = p;
	t->ret = t->fn(t->arg);
	return NULL;
}

int rk_thread_start(struct rk_thread *t, int (*fn)(void *), void *arg)
{
	pthread_t th;

	t->fn = fn;
	t->arg = arg;
	t->ret = 0;
	t->tid = 0;
	t->stack = NULL;
	t->stack_len = 0;
	int err = pthread_create(&th, NULL, shim_thread_entry, t);
	if (err)
		return -err;
	t->handle = (uint64_t)th;
	return 0;
}

int rk_thread_join(struct rk_thread *t)
{
	int err = pthread_join((pthread_t)t->handle, NULL);
	return err ? -err : 0;
}

int rk_thread_pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0 || cpu >= CPU_SETSIZE)
		return -EINVAL;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* pid 0: the calling thread, not the whole process. */
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

int rk_cpu_count(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	int n = CPU_COUNT(&set);
	return n > 0 ? n : 1;
}
