/*
 * stress-hotplug.c - the "hotplug" stress binary: the generic body (harness/stress_main.c)
 * with the hotplug workload (harness/stress_hotplug.c). See harness/stress.h.
 */
#include "stress.h"

int main(int argc, char **argv)
{
    return stress_main(argc, argv, &stress_hotplug_ops);
}
