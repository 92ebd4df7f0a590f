/* FP64 and FP32 arithmetic on every compute core; results are compared bit for bit with
 * numpy (IEEE 754, round to nearest even) by the test. */
#include <stdint.h>
#include "snrt.h"

#define CASES 8
double din[CASES][3] = {{1.5, -2.25, 0.125},   {3.0, 7.0, 1e-3},    {1e300, 1e10, -1.0}, {-0.1, 0.2, 0.3},
                        {123456.789, 1e-7, 2.5}, {2.0, 0.5, -8.0},    {6.02e23, 1.6e-19, 3.3}, {-1e-300, 1e-10, 0.0}};
float fin[CASES][3] = {{1.5f, -2.25f, 0.125f}, {3.0f, 7.0f, 1e-3f}, {1e30f, 1e10f, -1.0f}, {-0.1f, 0.2f, 0.3f},
                       {12345.678f, 1e-7f, 2.5f}, {2.0f, 0.5f, -8.0f}, {6.02e23f, 1.6e-19f, 3.3f}, {-1e-30f, 1e-10f, 0.0f}};
/* Per case: a+b, a*b, a/b, fma(a,b,c), sqrt(|a|), (double)(int)a, min, max */
double dout[CASES][8];
float fout[CASES][8];
int32_t iout[CASES][2];

int main(void) {
    uint32_t me = snrt_cluster_core_idx();
    for (uint32_t i = me; i < CASES; i += snrt_cluster_core_num()) {
        double a = din[i][0], b = din[i][1], c = din[i][2];
        dout[i][0] = a + b;
        dout[i][1] = a * b;
        dout[i][2] = a / b;
        dout[i][3] = __builtin_fma(a, b, c);
        dout[i][4] = __builtin_sqrt(__builtin_fabs(a));
        dout[i][5] = (double)(int32_t)b;
        dout[i][6] = __builtin_fmin(a, b);
        dout[i][7] = __builtin_fmax(a, b);
        float x = fin[i][0], y = fin[i][1], z = fin[i][2];
        fout[i][0] = x + y;
        fout[i][1] = x * y;
        fout[i][2] = x / y;
        fout[i][3] = __builtin_fmaf(x, y, z);
        fout[i][4] = __builtin_sqrtf(__builtin_fabsf(x));
        fout[i][5] = (float)a;
        fout[i][6] = __builtin_fminf(x, y);
        fout[i][7] = __builtin_fmaxf(x, y);
        iout[i][0] = (int32_t)c;
        iout[i][1] = (int32_t)(x * 3.0f);
    }
    return 0;
}
