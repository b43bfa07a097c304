/* src/rt/thread.c - include/rocket/thread.h on raw clone(2), without libc.
 *
 * A thread is a task sharing our memory, files and signal handlers
 * (clone(2): CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|
 * CLONE_SYSVSEM) running on a stack we mmap. CLONE_PARENT_SETTID stores the
 * new tid in t->tid before clone returns; CLONE_CHILD_CLEARTID makes the
 * kernel zero t->tid and FUTEX_WAKE it when the thread has exited
 * (kernel/fork.c mm_release()), which is what join waits for (futex(2)).
 * The clone itself is in assembly, arch/<arch>/start.S: after it the child
 * runs on a new stack, which C cannot express. No TLS: Rocket keeps nothing
 * thread-local.
 * Read next: arch/x86_64/start.S.
 */
#include <stddef.h>
#include <stdint.h>

#include "rocket/sys.h"
#include "rocket/thread.h"

#ifndef MAP_FIXED
#define MAP_FIXED 0x10 /* mmap(2); include/uapi/asm-generic/mman-common.h */
#endif

/* 256 KiB of stack: Rocket's threads run flat event loops. Below it a
 * guard region left PROT_NONE, so an overflow faults instead of running
 * into another mapping; 64 KiB covers the largest arm64 page size. */
#define RT_STACK_SIZE (256u << 10)
#define RT_GUARD_SIZE (64u << 10)

#define RT_CLONE_FLAGS                                                                             \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |        \
	 CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

/* arch/<arch>/start.S: clone(2) with `flags` onto `stack_top`; the child
 * calls fn(arg) and then exit(2) with its result. Returns the child's tid
 * to the parent, or -errno. */
long rk_clone_thread(unsigned long flags, void *stack_top, volatile uint32_t *ptid,
		     volatile uint32_t *ctid, int (*fn)(void *), void *arg);

/* The first C the new thread runs: keeps fn's result for rk_thread_join. */
static int rt_thread_entry(void *p)
{
	struct rk_thread *t = p;
	t->ret = t->fn(t->arg);
	return 0;
}

int rk_thread_start(struct rk_thread *t, int (*fn)(void *), void *arg)
{
	size_t len = RT_GUARD_SIZE + RT_STACK_SIZE;

	t->fn = fn;
	t->arg = arg;
	t->ret = 0;
	t->tid = 0;
	t->handle = 0;

	/* Reserve guard + stack inaccessible, then make the stack part usable
	 * in place (MAP_FIXED over our own reservation). */
	char *base =
		sys_mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (rk_is_err(base))
		return rk_ptr_err(base);
	void *stk = sys_mmap(base + RT_GUARD_SIZE, RT_STACK_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_STACK, -1, 0);
	if (rk_is_err(stk)) {
		sys_munmap(base, len);
		return rk_ptr_err(stk);
	}
	t->stack = base;
	t->stack_len = len;

	long ret =
		rk_clone_thread(RT_CLONE_FLAGS, base + len, &t->tid, &t->tid, rt_thread_entry, t);
	if (ret < 0) {
		sys_munmap(base, len);
		t->stack = NULL;
		t->stack_len = 0;
		return (int)ret;
	}
	return 0;
}

int rk_thread_join(struct rk_thread *t)
{
	uint32_t tid;

	/* Pairs with the kernel's clear of *ctid at thread exit; after it the
	 * thread no longer runs on its stack, so unmapping is safe. FUTEX_WAIT
	 * returns at once (-EAGAIN) if tid already changed, and may wake early
	 * (-EINTR): just look again. */
	while ((tid = rk_load_acquire_u32(&t->tid)) != 0)
		sys_futex(&t->tid, FUTEX_WAIT, tid, NULL);
	if (t->stack) {
		sys_munmap(t->stack, t->stack_len);
		t->stack = NULL;
		t->stack_len = 0;
	}
	return 0;
}

/* Room for 1024 CPUs, the kernel's usual NR_CPUS upper range. */
#define RT_CPU_WORDS 16

int rk_thread_pin(int cpu)
{
	uint64_t mask[RT_CPU_WORDS] = { 0 };

	if (cpu < 0 || cpu >= RT_CPU_WORDS * 64)
		return -EINVAL;
	mask[cpu / 64] = 1ULL << (cpu % 64);
	/* pid 0: the calling thread (each clone thread has its own tid). */
	return sys_sched_setaffinity(0, sizeof(mask), mask);
}

int rk_cpu_count(void)
{
	static const unsigned char nib[16] = { 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4 };
	unsigned char mask[RT_CPU_WORDS * 8];
	int n = 0;

	/* Returns how many bytes of mask the kernel filled. A table rather than
	 * __builtin_popcount: without -mpopcnt GCC turns that into a libgcc call. */
	int len = sys_sched_getaffinity(0, sizeof(mask), mask);
	for (int i = 0; i < len; i++)
		n += nib[mask[i] & 15] + nib[mask[i] >> 4];
	return n > 0 ? n : 1;
}
