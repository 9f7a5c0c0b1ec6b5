#include "CPUFeatures.h"

#if defined(__x86_64__)
#include <cpuid.h>

// XCR0, the state components the OS saves on a context switch; _xgetbv needs -mxsave.
static unsigned long long xcr0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

int cpu_vector_level(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    const int osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1, fma = (ecx >> 12) & 1;
    if (!osxsave || !avx) return 0;
    const unsigned long long state = xcr0();
    if ((state & 0x6) != 0x6) return 0; // xmm and ymm state
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 1;
    const int avx2 = (ebx >> 5) & 1;
    const int avx512 = ((ebx >> 16) & 1) && ((ebx >> 17) & 1) && ((ebx >> 30) & 1) && ((ebx >> 31) & 1);
    if (avx512 && avx2 && fma && (state & 0xE0) == 0xE0) return 3; // opmask, upper zmm, zmm16-31
    if (avx2 && fma) return 2;
    return 1;
}
#else
int cpu_vector_level(void) { return 0; }
#endif
