/*
 * codec.h - the readable text form of fuzz inputs, one codec per target family.
 *
 * Text form: one op per line, `#` starts a comment, blank lines ignored.
 * to_text must emit text that from_text turns back into bytes that decode to
 * the same op sequence (the round-trip test checks decode(from_text(to_text(b)))
 * == decode(b); bytes the decoder ignores need not survive).
 */
#ifndef HARNESS_CODEC_H
#define HARNESS_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct hx_codec {
    const char *family; /* as in targets/LIST: "llsc", "bitmap" */
    void (*to_text)(const uint8_t *data, size_t len, FILE *out);
    /* 0 on success (*out malloc'd), -1 with "line N: why" in err. */
    int (*from_text)(const char *text, uint8_t **out, size_t *outlen,
                     char *err, size_t errlen);
};

extern const struct hx_codec hx_codec_llsc;
extern const struct hx_codec hx_codec_bitmap;
extern const struct hx_codec hx_codec_race;

#endif
