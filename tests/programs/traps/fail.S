/* The p environment's failure path: RVTEST_FAIL ends the run with exit code TESTNUM, so a
 * failing p-env test cannot pass unnoticed. */
#include "penv.h"

RVTEST_CODE_BEGIN
        li TESTNUM, 7
        RVTEST_FAIL
RVTEST_CODE_END

RVTEST_DATA_BEGIN
RVTEST_DATA_END
