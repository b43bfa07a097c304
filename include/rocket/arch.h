/* include/rocket/arch.h - picks arch/<arch>/ for the machine being built for.
 * The only architecture switch outside arch/: everything else uses
 * rk_syscallN() and the rk_load_acquire/rk_store_release/rk_smp_mb barriers.
 * Read next: arch/x86_64/syscall.h.
 */
#ifndef ROCKET_ARCH_H
#define ROCKET_ARCH_H

#if defined(__x86_64__)
#include "../../arch/x86_64/syscall.h"
#include "../../arch/x86_64/barrier.h"
#elif defined(__aarch64__)
#include "../../arch/aarch64/syscall.h"
#include "../../arch/aarch64/barrier.h"
#else
#error "Rocket supports x86_64 and aarch64"
#endif

#endif
