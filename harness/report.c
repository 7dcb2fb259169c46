#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "report.h"

int hx_exit_on_violation;
jmp_buf *hx_catch;
char hx_caught[1024];

void hx_violation(const char *property, long op, const char *fmt, ...)
{
    va_list ap;

    if (hx_catch) {
        size_t n = (size_t)snprintf(hx_caught, sizeof(hx_caught), "FAIL %s: op %ld: ",
                                    property, op);
        if (n < sizeof(hx_caught)) {
            va_start(ap, fmt);
            vsnprintf(hx_caught + n, sizeof(hx_caught) - n, fmt, ap);
            va_end(ap);
        }
        longjmp(*hx_catch, 1);
    }
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
