// The widest vector instruction set that both the processor and the operating system support,
// read with cpuid and xgetbv (Swift has no inline assembly).
#pragma once

/// 0: SSE3 or less, 1: AVX, 2: AVX2 with FMA, 3: AVX-512 F/BW/DQ/VL with the zmm state enabled.
/// Always 0 on processors other than x86-64.
int cpu_vector_level(void);
