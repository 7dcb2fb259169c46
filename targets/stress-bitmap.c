/*
 * stress-bitmap.c - the "bitmap" stress binary: the generic body (harness/stress_main.c)
 * with the bitmap workload (harness/stress_bitmap.c). See harness/stress.h.
 */
#include "stress.h"

int main(int argc, char **argv)
{
    return stress_main(argc, argv, &stress_bitmap_ops);
}
