/*
 * stress-llsc.c - the "llsc" stress binary: the generic body (harness/stress_main.c)
 * with the llsc workload (harness/stress_llsc.c). See harness/stress.h.
 */
#include "stress.h"

int main(int argc, char **argv)
{
    return stress_main(argc, argv, &stress_llsc_ops);
}
