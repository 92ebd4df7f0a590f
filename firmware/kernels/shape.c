/* Data movement (deploy/golden/shape.py): Transpose and Gather, any element size of 1, 2 or 4
 * bytes. Copies only; integer-exact by construction. */
#include <string.h>

#include "kernels.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* out[i] = in[i * stride] for i < n, elements of `size` bytes (stride in elements). */
ALWAYS_INLINE void strided_copy(const void *in, void *out, uint32_t n, int32_t stride, uint32_t size) {
    if (stride == 1) {
        memcpy(out, in, n * size);
    } else if (size == 1) {
        const uint8_t *s = in;
        uint8_t *d = out, *end = d + n;
        while (d != end) {
            *d++ = *s;
            s += stride;
        }
    } else if (size == 2) {
        const uint16_t *s = in;
        uint16_t *d = out, *end = d + n;
        while (d != end) {
            *d++ = *s;
            s += stride;
        }
    } else {
        const uint32_t *s = in;
        uint32_t *d = out, *end = d + n;
        while (d != end) {
            *d++ = *s;
            s += stride;
        }
    }
}

/* Output rows (every output index but the last) are dealt in contiguous blocks; a row is a
 * strided copy along the input axis perm[rank-1]. Row indices advance like an odometer, so
 * the input offset needs no division per row. */
void kernel_transpose(const void *in, void *out, uint32_t rank, const uint32_t *in_shape, const uint32_t *perm,
                      uint32_t elem_size, uint32_t core, uint32_t cores) {
    if (rank == 0 || rank > KERNEL_TRANSPOSE_MAX_RANK) return;
    uint32_t in_stride[KERNEL_TRANSPOSE_MAX_RANK], out_shape[KERNEL_TRANSPOSE_MAX_RANK];
    int32_t stride[KERNEL_TRANSPOSE_MAX_RANK]; /* input stride of output axis k */
    uint32_t s = 1;
    for (int k = (int)rank - 1; k >= 0; k--) {
        in_stride[k] = s;
        s *= in_shape[k];
    }
    for (uint32_t k = 0; k < rank; k++) {
        out_shape[k] = in_shape[perm[k]];
        stride[k] = (int32_t)in_stride[perm[k]];
    }
    const uint32_t row_len = out_shape[rank - 1];
    const uint32_t rows = row_len ? s / row_len : 0;
    uint32_t first, last;
    kernel_share(rows, core, cores, &first, &last);
    if (first >= last) return;
    /* odometer over output axes 0..rank-2, started at row `first` */
    uint32_t idx[KERNEL_TRANSPOSE_MAX_RANK];
    uint32_t offset = 0, rest = first;
    for (int k = (int)rank - 2; k >= 0; k--) {
        idx[k] = rest % out_shape[k];
        rest /= out_shape[k];
        offset += idx[k] * stride[k];
    }
    const uint8_t *src = in;
    uint8_t *dst = (uint8_t *)out + first * row_len * elem_size;
    for (uint32_t r = first; r < last; r++) {
        strided_copy(src + offset * elem_size, dst, row_len, stride[rank - 1], elem_size);
        dst += row_len * elem_size;
        for (int k = (int)rank - 2; k >= 0; k--) {
            offset += stride[k];
            if (++idx[k] < out_shape[k]) break;
            offset -= out_shape[k] * stride[k];
            idx[k] = 0;
        }
    }
}

/* The output, [outer, num_indices, inner] elements, is cut into contiguous byte ranges (4-byte
 * aligned boundaries), one per core; each range is copied segment by segment. */
void kernel_gather(const void *in, void *out, const int32_t *indices, uint32_t num_indices, uint32_t outer,
                   uint32_t axis_len, uint32_t inner, uint32_t elem_size, uint32_t core, uint32_t cores) {
    const uint32_t row_bytes = inner * elem_size, total = outer * num_indices * row_bytes;
    uint32_t first, last;
    kernel_share((total + 3) / 4, core, cores, &first, &last);
    first *= 4;
    last *= 4;
    if (last > total) last = total;
    if (first >= last) return;
    uint32_t row = first / row_bytes, pos = first % row_bytes;
    uint32_t o = row / num_indices, n = row % num_indices;
    uint8_t *dst = (uint8_t *)out + first;
    for (uint32_t done = first; done < last;) {
        int32_t index = indices[n];
        if (index < 0) index += (int32_t)axis_len;
        const uint8_t *src = (const uint8_t *)in + ((o * axis_len + (uint32_t)index) * row_bytes + pos);
        uint32_t len = row_bytes - pos;
        if (len > last - done) len = last - done;
        memcpy(dst, src, len);
        dst += len;
        done += len;
        pos = 0;
        if (++n == num_indices) {
            n = 0;
            o++;
        }
    }
}
