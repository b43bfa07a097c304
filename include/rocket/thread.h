/* include/rocket/thread.h - start and join threads, two ways behind one API.
 *
 * The product (libc-free) build creates threads with raw clone(2)
 * (CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM,
 * CLONE_CHILD_CLEARTID + futex(2) to join): src/rt/thread.c with
 * arch/<arch>/ clone entry. The hosted build (tests, sanitizers) uses
 * pthreads: tests/shim/thread_pthread.c.
 * Read next: include/rocket/engine.h.
 */
#ifndef ROCKET_THREAD_H
#define ROCKET_THREAD_H

#include <stddef.h>
#include <stdint.h>

struct rk_thread {
	int (*fn)(void *);
	void *arg;
	int ret;               /* fn's return value, after join */
	volatile uint32_t tid; /* cleared by the kernel when the thread exits */
	void *stack;           /* mmap'd stack with a guard page (clone build) */
	size_t stack_len;
	uint64_t handle; /* pthread_t (hosted build) */
};

/* Start fn(arg) on a new thread. Returns 0 or -errno. */
int rk_thread_start(struct rk_thread *t, int (*fn)(void *), void *arg);

/* Wait for the thread to end; frees its stack. Returns 0 or -errno. */
int rk_thread_join(struct rk_thread *t);

/* Pin the calling thread to one CPU. Returns 0 or -errno. */
int rk_thread_pin(int cpu);

/* Number of CPUs this process may run on (sched_getaffinity), >= 1. */
int rk_cpu_count(void);

#endif
