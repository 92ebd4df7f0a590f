/* Stream semantic registers (Xssr) and FP repetition (Xfrep) of the compute cores, with the
 * names and signatures of snRuntime (pulp-platform/snitch_cluster sw/runtime/src/ssr.h).
 * Our GCC knows neither extension: the instructions are emitted with .insn
 * (reference/snitch.md sections 1 and 2 for the encodings).
 *
 * While streams are enabled (snrt_ssr_enable), ft0/ft1/ft2 are the data movers DM0/DM1/DM2:
 * reading one pops the next element of its read stream, writing one pushes to its write stream.
 * The compiler does not know that, so keep the enabled region inside asm statements that
 * clobber "ft0", "ft1", "ft2" (ideally one asm statement from enable to disable), with no C
 * floating-point code or calls in between. Exactly the configured number of elements must be
 * consumed. The configuration functions take dm/reg/dim as immediates: they must be constants
 * after inlining (build with -O1 or higher), as in snRuntime.
 *
 * FREP: SNRT_FREP_O(reps, n_inst, stagger_max, stagger_mask) is the text of
 * `frep.o reps, n_inst, stagger_max, stagger_mask` for an asm statement: the next n_inst FP
 * instructions are issued (value of register `reps`) + 1 times as a block; staggering adds
 * 0..stagger_max (one more per iteration) to the register fields selected by stagger_mask
 * (bit 0 rd, 1 rs1, 2 rs2, 3 rs3). SNRT_FREP_I is the old frep.i (each instruction repeated in
 * turn). n_inst, stagger_max and stagger_mask must be integer literals. Example, a dot product
 * with two read streams:
 *
 *   asm volatile("csrsi 0x7C0, 1\n"
 *                SNRT_FREP_O("%[n]", 1, 0, 0)
 *                "fmadd.d %[acc], ft0, ft1, %[acc]\n"
 *                "csrci 0x7C0, 1\n"
 *                : [acc] "+f"(acc) : [n] "r"(len - 1) : "ft0", "ft1", "ft2", "memory");
 */
#ifndef SNRT_SSR_H
#define SNRT_SSR_H

#include <stddef.h>
#include <stdint.h>

#define SNRT_SSR_INLINE static inline __attribute__((always_inline))

/* Synchronize the integer and FP pipelines (snRuntime: an FP-to-integer move and a use). */
SNRT_SSR_INLINE void snrt_fpu_fence(void) {
    unsigned tmp;
    asm volatile("fmv.x.w %0, fa0\n"
                 "mv      %0, %0\n"
                 : "=r"(tmp)::"memory");
}

typedef enum {
    SNRT_SSR_DM0 = 0,
    SNRT_SSR_DM1 = 1,
    SNRT_SSR_DM2 = 2,
    SNRT_SSR_DM_ALL = 31 /* a write to every data mover */
} snrt_ssr_dm_t;

typedef enum { SNRT_SSR_1D = 0, SNRT_SSR_2D = 1, SNRT_SSR_3D = 2, SNRT_SSR_4D = 3 } snrt_ssr_dim_t;

typedef enum {
    SNRT_SSR_REG_STATUS = 0,
    SNRT_SSR_REG_REPEAT = 1,
    SNRT_SSR_REG_BOUNDS = 2,  /* + dim */
    SNRT_SSR_REG_STRIDES = 6, /* + dim */
    SNRT_SSR_REG_IDX_CFG = 10,
    SNRT_SSR_REG_IDX_BASE = 11,
    SNRT_SSR_REG_RPTR_INDIR = 16,
    SNRT_SSR_REG_RPTR = 24, /* + dim: starts a read stream */
    SNRT_SSR_REG_WPTR = 28  /* + dim: starts a write stream */
} snrt_ssr_reg_t;

SNRT_SSR_INLINE void snrt_ssr_enable(void) { asm volatile("csrsi 0x7C0, 1" ::: "memory"); }
SNRT_SSR_INLINE void snrt_ssr_disable(void) { asm volatile("csrci 0x7C0, 1" ::: "memory"); }

/* scfgri rd, dm | reg << 5 */
SNRT_SSR_INLINE uint32_t read_ssr_cfg(const snrt_ssr_reg_t reg, const snrt_ssr_dm_t dm) {
    uint32_t value;
    asm volatile(".insn i 0x2b, 1, %[value], x0, %[addr]\n"
                 : [value] "=r"(value)
                 : [addr] "i"((int)dm | ((int)reg << 5))
                 : "memory");
    return value;
}

/* scfgwi value, dm | reg << 5 */
SNRT_SSR_INLINE void write_ssr_cfg(const snrt_ssr_reg_t reg, const snrt_ssr_dm_t dm, uint32_t value) {
    asm volatile(".insn i 0x2b, 2, x0, %[value], %[addr]\n" ::[value] "r"(value),
                 [addr] "i"((int)dm | ((int)reg << 5))
                 : "memory");
}

/* Loop nests: bounds b are trip counts, strides s are the byte strides of each loop; the
 * hardware takes count - 1 and stride deltas (stride minus what the inner loops advanced). */
SNRT_SSR_INLINE void snrt_ssr_loop_1d(const snrt_ssr_dm_t dm, size_t b0, size_t s0) {
    --b0;
    write_ssr_cfg(SNRT_SSR_REG_BOUNDS + 0, dm, b0);
    write_ssr_cfg(SNRT_SSR_REG_STRIDES + 0, dm, s0);
}

SNRT_SSR_INLINE void snrt_ssr_loop_2d(const snrt_ssr_dm_t dm, size_t b0, size_t b1, size_t s0, size_t s1) {
    --b0;
    --b1;
    write_ssr_cfg(SNRT_SSR_REG_BOUNDS + 0, dm, b0);
    write_ssr_cfg(SNRT_SSR_REG_BOUNDS + 1, dm, b1);
    size_t a = 0;
    write_ssr_cfg(SNRT_SSR_REG_STRIDES + 0, dm, s0 - a);
    a += s0 * b0;
    write_ssr_cfg(SNRT_SSR_REG_STRIDES + 1, dm, s1 - a);
}

SNRT_SSR_INLINE void snrt_ssr_loop_3d(const snrt_ssr_dm_t dm, size_t b0, size_t b1, size_t b2, size_t s0, size_t s1,
                                      size_t s2) {
    --b0;
    --b1;
    --b2;
    write_ssr_cfg(SNRT_SSR_REG_BOUNDS + 0, dm, b0);
    write_ssr_cfg(SNRT_SSR_REG_BOUNDS + 1, dm, b1);
    write_ssr_cfg(SNRT_SSR_REG_BOUNDS + 2, dm, b2);
    size_t a = 0;
    write_ssr_cfg(SNRT_SSR_REG_STRIDES + 0, dm, s0 - a);
    a += s0 * b0;
    write_ssr_cfg(SNRT_SSR_REG_STRIDES + 1, dm, s1 - a);
    a += s1 * b1;
    write_ssr_cfg(SNRT_SSR_REG_STRIDES + 2, dm, s2 - a);
}

SNRT_SSR_INLINE void snrt_ssr_loop_4d(const snrt_ssr_dm_t dm, size_t b0, size_t b1, size_t b2, size_t b3, size_t s0,
                                      size_t s1, size_t s2, size_t s3) {
    --b0;
    --b1;
    --b2;
    --b3;
    write_ssr_cfg(SNRT_SSR_REG_BOUNDS + 0, dm, b0);
    write_ssr_cfg(SNRT_SSR_REG_BOUNDS + 1, dm, b1);
    write_ssr_cfg(SNRT_SSR_REG_BOUNDS + 2, dm, b2);
    write_ssr_cfg(SNRT_SSR_REG_BOUNDS + 3, dm, b3);
    size_t a = 0;
    write_ssr_cfg(SNRT_SSR_REG_STRIDES + 0, dm, s0 - a);
    a += s0 * b0;
    write_ssr_cfg(SNRT_SSR_REG_STRIDES + 1, dm, s1 - a);
    a += s1 * b1;
    write_ssr_cfg(SNRT_SSR_REG_STRIDES + 2, dm, s2 - a);
    a += s2 * b2;
    write_ssr_cfg(SNRT_SSR_REG_STRIDES + 3, dm, s3 - a);
}

/* Deliver each element of the next read streams `count` times (count <= 16). */
SNRT_SSR_INLINE void snrt_ssr_repeat(const snrt_ssr_dm_t dm, size_t count) {
    write_ssr_cfg(SNRT_SSR_REG_REPEAT, dm, count - 1);
}

/* Start a read / write stream of dim + 1 dimensions at ptr (64-bit elements in L1). */
SNRT_SSR_INLINE void snrt_ssr_read(const snrt_ssr_dm_t dm, const snrt_ssr_dim_t dim, volatile void *ptr) {
    write_ssr_cfg(SNRT_SSR_REG_RPTR + dim, dm, (uintptr_t)ptr);
}

SNRT_SSR_INLINE void snrt_ssr_write(const snrt_ssr_dm_t dm, const snrt_ssr_dim_t dim, volatile void *ptr) {
    write_ssr_cfg(SNRT_SSR_REG_WPTR + dim, dm, (uintptr_t)ptr);
}

/* FREP. The rd field holds stagger_mask << 1 | is_outer. */
#define _SNRT_FREP_RD_1_0 "x1"
#define _SNRT_FREP_RD_1_1 "x3"
#define _SNRT_FREP_RD_1_2 "x5"
#define _SNRT_FREP_RD_1_3 "x7"
#define _SNRT_FREP_RD_1_4 "x9"
#define _SNRT_FREP_RD_1_5 "x11"
#define _SNRT_FREP_RD_1_6 "x13"
#define _SNRT_FREP_RD_1_7 "x15"
#define _SNRT_FREP_RD_1_8 "x17"
#define _SNRT_FREP_RD_1_9 "x19"
#define _SNRT_FREP_RD_1_10 "x21"
#define _SNRT_FREP_RD_1_11 "x23"
#define _SNRT_FREP_RD_1_12 "x25"
#define _SNRT_FREP_RD_1_13 "x27"
#define _SNRT_FREP_RD_1_14 "x29"
#define _SNRT_FREP_RD_1_15 "x31"
#define _SNRT_FREP_RD_0_0 "x0"
#define _SNRT_FREP_RD_0_1 "x2"
#define _SNRT_FREP_RD_0_2 "x4"
#define _SNRT_FREP_RD_0_3 "x6"
#define _SNRT_FREP_RD_0_4 "x8"
#define _SNRT_FREP_RD_0_5 "x10"
#define _SNRT_FREP_RD_0_6 "x12"
#define _SNRT_FREP_RD_0_7 "x14"
#define _SNRT_FREP_RD_0_8 "x16"
#define _SNRT_FREP_RD_0_9 "x18"
#define _SNRT_FREP_RD_0_10 "x20"
#define _SNRT_FREP_RD_0_11 "x22"
#define _SNRT_FREP_RD_0_12 "x24"
#define _SNRT_FREP_RD_0_13 "x26"
#define _SNRT_FREP_RD_0_14 "x28"
#define _SNRT_FREP_RD_0_15 "x30"
#define _SNRT_FREP(outer, reps, n_inst, stagger_max, stagger_mask) \
    ".insn i 0x0b, " #stagger_max ", " _SNRT_FREP_RD_##outer##_##stagger_mask ", " reps ", " #n_inst " - 1\n"
#define SNRT_FREP_O(reps, n_inst, stagger_max, stagger_mask) _SNRT_FREP(1, reps, n_inst, stagger_max, stagger_mask)
#define SNRT_FREP_I(reps, n_inst, stagger_max, stagger_mask) _SNRT_FREP(0, reps, n_inst, stagger_max, stagger_mask)

#endif
