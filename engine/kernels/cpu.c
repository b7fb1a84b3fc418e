/* cpu.c - run-time CPU feature detection and the kernel dispatch ladder. */
#include "kernels.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

qs_kernels qs_k;

#if defined(__x86_64__)
/* AMX needs the CPU bits, the OS's XSAVE support for tile state (XCR0 bits 17, 18) and, on
 * Linux, a per-process permission request (ARCH_REQ_XCOMP_PERM for XTILEDATA). */
static int amx_usable(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    if (!(d & (1u << 22)) || !(d & (1u << 24))) return 0; /* AMX-BF16, AMX-TILE */
    if (!__get_cpuid_count(7, 1, &a, &b, &c, &d) || !(a & (1u << 5))) return 0; /* AVX512-BF16 */
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & (3u << 17)) != (3u << 17)) return 0;
    static int granted = -1;
    if (granted < 0) granted = syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XTILEDATA */) == 0;
    return granted;
}
#endif

unsigned qs_cpu_flags(void) {
    unsigned f = 0;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) f |= QS_CPU_AVX2;
    if ((f & QS_CPU_AVX2) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        f |= QS_CPU_AVX512;
    if ((f & QS_CPU_AVX512) && __builtin_cpu_supports("avx512bf16")) f |= QS_CPU_AVX512BF16;
#if defined(__x86_64__)
    if ((f & QS_CPU_AVX512BF16) && amx_usable()) f |= QS_CPU_AMX;
#endif
#elif defined(__aarch64__)
    f |= QS_CPU_NEON; /* Advanced SIMD is mandatory on AArch64 */
#endif
    return f;
}

/* Which levels this build compiled in. */
static unsigned built_levels(void) {
    unsigned b = 0;
#ifdef QS_HAVE_AVX2
    b |= QS_CPU_AVX2;
#endif
#ifdef QS_HAVE_AVX512
    b |= QS_CPU_AVX512 | QS_CPU_AVX512BF16;
#endif
#ifdef QS_HAVE_AMX
    b |= QS_CPU_AMX;
#endif
#ifdef QS_HAVE_NEON
    b |= QS_CPU_NEON;
#endif
    return b;
}

int qs_kernels_for_level(qs_kernels *k, unsigned level) {
    unsigned have = qs_cpu_flags() & built_levels();
    qs_kernels_init_ref(k);
    if (level == 0) return 1;
    if (!(have & level)) return 0;
#ifdef QS_HAVE_AVX2
    if (level == QS_CPU_AVX2) { qs_kernels_init_avx2(k); return 1; }
#endif
#ifdef QS_HAVE_AVX512
    if (level == QS_CPU_AVX512) { qs_kernels_init_avx2(k); qs_kernels_init_avx512(k); return 1; }
#endif
#ifdef QS_HAVE_AMX
    if (level == QS_CPU_AMX) { qs_kernels_init_avx2(k); qs_kernels_init_avx512(k); qs_kernels_init_amx(k); return 1; }
#endif
#ifdef QS_HAVE_NEON
    if (level == QS_CPU_NEON) { qs_kernels_init_neon(k); return 1; }
#endif
    return 0;
}

void qs_kernels_init(unsigned mask) {
    unsigned have = qs_cpu_flags() & built_levels() & mask;
    qs_kernels_init_ref(&qs_k);
#ifdef QS_HAVE_NEON
    if (have & QS_CPU_NEON) { qs_kernels_init_neon(&qs_k); return; }
#endif
#ifdef QS_HAVE_AVX2
    if (!(have & QS_CPU_AVX2)) return;
    qs_kernels_init_avx2(&qs_k);
#endif
#ifdef QS_HAVE_AVX512
    if (!(have & QS_CPU_AVX512)) return;
    qs_kernels_init_avx512(&qs_k);
#endif
#ifdef QS_HAVE_AMX
    if (!(have & QS_CPU_AMX)) return;
    qs_kernels_init_amx(&qs_k);
#endif
    (void)have;
}
