/*
 * kernels_neon.c - AArch64 Advanced SIMD kernels, 4 float32 lanes. The bodies
 * are in kernels_simd.inc; see there for the algorithms and error bounds.
 * Tested under qemu-user by tests/run-all.sh (cross-compiled test_kernels).
 */
#include <arm_neon.h>
#include <math.h>
#include <string.h>

#include "fp16.h"
#include "kernels.h"

typedef float32x4_t vf;
#define VL 4
#define KNAME(x) x##_neon

static inline vf vzero(void) { return vdupq_n_f32(0.0f); }
static inline vf vset1(float s) { return vdupq_n_f32(s); }
static inline vf vload(const float *p) { return vld1q_f32(p); }
static inline void vstore(float *p, vf v) { vst1q_f32(p, v); }
static inline vf vadd(vf a, vf b) { return vaddq_f32(a, b); }
static inline vf vsub(vf a, vf b) { return vsubq_f32(a, b); }
static inline vf vmul(vf a, vf b) { return vmulq_f32(a, b); }
static inline vf vdiv(vf a, vf b) { return vdivq_f32(a, b); }
static inline vf vmax(vf a, vf b) { return vmaxq_f32(a, b); }
static inline vf vmin(vf a, vf b) { return vminq_f32(a, b); }
static inline vf vfma(vf a, vf b, vf c) { return vfmaq_f32(c, a, b); }
static inline float vhsum(vf v) { return vaddvq_f32(v); }
static inline vf vround(vf v) { return vrndnq_f32(v); }
static inline vf vpow2i(vf n) {
    int32x4_t e = vaddq_s32(vcvtnq_s32_f32(n), vdupq_n_s32(127));
    return vreinterpretq_f32_s32(vshlq_n_s32(e, 23));
}
static inline vf vld_f32(const float *p) { return vld1q_f32(p); }
static inline vf vld_f16(const uint16_t *p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }
static inline vf vld_bf16(const uint16_t *p) { return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16)); }
static inline vf vld_q8(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    int16x8_t h = vmovl_s8(vreinterpret_s8_s32(vdup_n_s32(v)));
    return vcvtq_f32_s32(vmovl_s16(vget_low_s16(h)));
}

#include "kernels_simd.inc"

void qs_kernels_init_neon(qs_kernels *k) {
    KNAME(fill_table)(k);
    k->name = "neon";
}
