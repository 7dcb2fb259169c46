#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "report.h"

int hx_exit_on_violation;

void hx_violation(const char *property, long op, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "FAIL %s: op %ld: ", property, op);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    if (hx_exit_on_violation) {
        exit(1);
    }
    abort();
}
