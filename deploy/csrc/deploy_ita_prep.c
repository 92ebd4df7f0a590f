/* Operand preparation on the compute cores for ITA steps with an unsigned input (deploy_ita.h). */
#include "deploy_ita.h"

#include "kernels.h"

void dita_unsigned_offset(uint8_t *x, uint32_t n, uint32_t core, uint32_t cores) {
    uint32_t first, last;
    /* whole words where possible: every core gets a multiple of 4 bytes */
    const uint32_t words = n / 4;
    kernel_share(words, core, cores, &first, &last);
    uint32_t *x32 = (uint32_t *)x;
    for (uint32_t i = first; i < last; i++) x32[i] ^= 0x80808080u;
    if (core == cores - 1)
        for (uint32_t i = words * 4; i < n; i++) x[i] ^= 0x80u;
}

/* Words summed into 16-bit lanes before the lanes are added up: 256 * 255 < 2^16, no carry. */
#define LANE_WORDS 256u

/* Two 16-bit lanes of v's bytes ^ 0x80 (the int8 values + 128, 0..255), even and odd bytes added. */
static inline uint32_t lanes_of(uint32_t v) {
    v ^= 0x80808080u;
    return (v & 0x00FF00FFu) + ((v >> 8) & 0x00FF00FFu);
}

/* sum of row[0..n). A word-aligned row is read four bytes per load into 16-bit lanes (four words
 * per iteration), 128 per byte taken off at the end: about a third of a byte loop's instructions. */
static int32_t row_sum_s8(const int8_t *row, uint32_t n) {
    int32_t sum = 0;
    uint32_t i = 0;
    if (((uintptr_t)row & 3u) == 0) {
        const uint32_t *w = (const uint32_t *)row, words = n / 4;
        for (uint32_t start = 0; start < words; start += LANE_WORDS) {
            const uint32_t count = words - start < LANE_WORDS ? words - start : LANE_WORDS;
            const uint32_t *p = w + start, *stop = p + (count & ~3u);
            uint32_t lanes = 0;
            for (; p != stop; p += 4) lanes += lanes_of(p[0]) + lanes_of(p[1]) + lanes_of(p[2]) + lanes_of(p[3]);
            for (uint32_t k = 0; k < (count & 3u); k++) lanes += lanes_of(p[k]);
            sum += (int32_t)((lanes & 0xFFFFu) + (lanes >> 16)) - 512 * (int32_t)count;
        }
        i = words * 4;
    }
    for (; i < n; i++) sum += row[i];
    return sum;
}

static inline void put24(uint8_t *b, int32_t value) {
    b[0] = (uint8_t)value;
    b[1] = (uint8_t)(value >> 8);
    b[2] = (uint8_t)(value >> 16);
}

void dita_unsigned_bias(const int8_t *vt, uint32_t ld, uint32_t head_step, uint32_t heads, uint32_t p_len,
                        uint32_t s_len, uint8_t *bias, uint32_t core, uint32_t cores) {
    const uint32_t head_bytes = (p_len + DITA_TILE - 1) / DITA_TILE * DITA_BIAS_BYTES;
    const uint32_t pad = head_bytes / 3 - p_len;
    uint32_t first, last;
    /* the rows with a sum are shared on their own (sharing them with the padding would leave cores
     * idle); (head, row) advance by counting, not dividing (a division is 33 cycles) */
    kernel_share(heads * p_len, core, cores, &first, &last);
    uint32_t h = first / p_len, p = first % p_len;
    for (uint32_t e = first; e < last; e++) {
        put24(bias + h * head_bytes + p * 3, 128 * row_sum_s8(vt + h * head_step + p * ld, s_len));
        if (++p == p_len) p = 0, h++;
    }
    if (!pad) return;
    kernel_share(heads * pad, core, cores, &first, &last);
    h = first / pad, p = first % pad;
    for (uint32_t e = first; e < last; e++) {
        put24(bias + h * head_bytes + (p_len + p) * 3, 0);
        if (++p == pad) p = 0, h++;
    }
}
