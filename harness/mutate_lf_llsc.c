/* mutate_lf_llsc.c - libFuzzer's custom mutator entry points for the llsc
 * family (mutate_libfuzzer.c); linked explicitly into its fuzz targets. */
#include "mutate_libfuzzer.h"

MU_LIBFUZZER_ENTRY_POINTS(mu_llsc)
