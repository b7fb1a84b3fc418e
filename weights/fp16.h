/*
 * fp16.h - scalar conversions between float32 and the 16-bit formats.
 * BF16 is the top half of an IEEE float32; F16 is IEEE half precision.
 * These are the reference conversions; SIMD kernels must agree bit for bit.
 */
#ifndef QS_FP16_H
#define QS_FP16_H

#include <stdint.h>
#include <string.h>

#include "safetensors.h"

static inline float qs_bf16_to_f32(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Round to nearest even, as torch does; NaN stays NaN. */
static inline uint16_t qs_f32_to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);
    u += 0x7fffu + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

static inline float qs_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff, u;
    if (exp == 0) {
        if (man == 0) {
            u = sign;
        } else { /* subnormal: normalise */
            exp = 127 - 15 + 1;
            while (!(man & 0x400)) man <<= 1, exp--;
            u = sign | (exp << 23) | ((man & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        u = sign | 0x7f800000u | (man << 13);
    } else {
        u = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Round to nearest even, as F16C's vcvtps2ph does: above the largest half (65504 + half an ulp)
 * gives +-inf, below the smallest subnormal (2^-24) rounds to subnormal or zero; NaN stays NaN. */
static inline uint16_t qs_f32_to_f16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    const uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    u &= 0x7fffffffu;
    if (u > 0x7f800000u) return sign | 0x7e00;  /* NaN */
    if (u >= 0x477ff000u) return sign | 0x7c00; /* >= 65520: inf */
    if (u >= 0x38800000u) {                     /* normal half: rebias the exponent, round 13 bits */
        u -= 112u << 23;
        return sign | (uint16_t)((u + 0xfffu + ((u >> 13) & 1)) >> 13);
    }
    if (u < 0x33000000u) return sign; /* <= 2^-25: rounds to zero */
    const uint32_t e = u >> 23, man = (u & 0x7fffffu) | 0x800000u, shift = 126 - e; /* 14..24 */
    uint32_t h = man >> shift;
    const uint32_t rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1))) h++;
    return sign | (uint16_t)h;
}

/* dst[i] = float(src[i]) for a buffer in dtype F32, F16 or BF16. */
static inline void qs_convert_to_f32(float *dst, const void *src, qs_dtype dt, size_t n) {
    if (dt == QS_DTYPE_F32) {
        memcpy(dst, src, n * sizeof(float));
    } else if (dt == QS_DTYPE_BF16) {
        const uint16_t *s = src;
        for (size_t i = 0; i < n; i++) dst[i] = qs_bf16_to_f32(s[i]);
    } else {
        const uint16_t *s = src;
        for (size_t i = 0; i < n; i++) dst[i] = qs_f16_to_f32(s[i]);
    }
}

#endif
