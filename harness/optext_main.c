/*
 * optext_main.c - build/tools/optext: converts fuzz inputs between bytes and
 * their commented text form, both ways, with the family codecs of codec.h.
 *
 *   usage: optext --family FAMILY {to-text|from-text} [IN [OUT]]
 *
 * IN and OUT default to stdin and stdout ("-" also means them). OUT is only
 * written once the whole input converted. Exit 0 on success, 1 when the text
 * does not parse ("optext: IN: line N: why"), 2 on a usage or I/O error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

/* A family whose code is not in this build links as NULL (the build pulls
 * each codec in with -u when its sources exist). */
#pragma weak hx_codec_llsc
#pragma weak hx_codec_bitmap
#pragma weak hx_codec_race

#define USAGE "usage: optext --family FAMILY {to-text|from-text} [IN [OUT]]"

static void die2(const char *fmt, const char *a, const char *b)
{
    fputs("optext: ", stderr);
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    exit(2);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t cap = 0;

    *len = 0;
    if (!f) {
        die2("cannot open %s: %s", path, strerror(errno));
    }
    for (;;) {
        if (cap - *len < 2) {
            cap = cap ? cap * 2 : 65536;
            unsigned char *nb = realloc(buf, cap);
            if (!nb) {
                die2("%s: %s", path, "out of memory");
            }
            buf = nb;
        }
        size_t got = fread(buf + *len, 1, cap - *len - 1, f);
        *len += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(f)) {
        die2("cannot read %s: %s", path, strerror(errno));
    }
    if (f != stdin) {
        fclose(f);
    }
    buf[*len] = '\0';
    return buf;
}

int main(int argc, char **argv)
{
    const struct hx_codec *codecs[] = {&hx_codec_llsc, &hx_codec_bitmap, &hx_codec_race};
    const struct hx_codec *codec = NULL;
    const char *family = NULL, *mode = NULL, *in = "-", *out = "-";
    int i = 1;

    if (i + 1 < argc && strcmp(argv[i], "--family") == 0) {
        family = argv[i + 1];
        i += 2;
    } else if (i < argc && strncmp(argv[i], "--family=", 9) == 0) {
        family = argv[i] + 9;
        i++;
    }
    if (!family || i >= argc) {
        die2("%s%s", USAGE, "");
    }
    mode = argv[i++];
    if (strcmp(mode, "to-text") != 0 && strcmp(mode, "from-text") != 0) {
        die2("unknown mode '%s' (%s)", mode, USAGE);
    }
    if (i < argc) {
        in = argv[i++];
    }
    if (i < argc) {
        out = argv[i++];
    }
    if (i < argc) {
        die2("too many arguments (%s)%s", USAGE, "");
    }
    for (size_t k = 0; k < sizeof(codecs) / sizeof(codecs[0]); k++) {
        if (codecs[k] && strcmp(codecs[k]->family, family) == 0) {
            codec = codecs[k];
        }
    }
    if (!codec) {
        die2("unknown family '%s' (known:%s)", family,
             (&hx_codec_bitmap ? (&hx_codec_llsc ? " bitmap llsc" : " bitmap")
                               : (&hx_codec_llsc ? " llsc" : " none")));
    }

    size_t len;
    unsigned char *data = slurp(in, &len);
    unsigned char *bytes = NULL;
    size_t nbytes = 0;
    int rc = 0;

    if (strcmp(mode, "from-text") == 0) {
        char err[256] = "";
        if (memchr(data, '\0', len)) {
            fprintf(stderr, "optext: %s: text contains a NUL byte (is it a byte input?)\n",
                    in);
            return 1;
        }
        if (codec->from_text((const char *)data, &bytes, &nbytes, err, sizeof(err))) {
            fprintf(stderr, "optext: %s: %s\n", in, err);
            return 1;
        }
    }
    FILE *f = strcmp(out, "-") == 0 ? stdout : fopen(out, "wb");
    if (!f) {
        die2("cannot write %s: %s", out, strerror(errno));
    }
    if (bytes) {
        if (nbytes && fwrite(bytes, 1, nbytes, f) != nbytes) {
            rc = 2;
        }
    } else if (strcmp(mode, "from-text") != 0) {
        codec->to_text(data, len, f);
    }
    if (fflush(f) || ferror(f)) {
        rc = 2;
    }
    if (f != stdout && fclose(f)) {
        rc = 2;
    }
    if (rc) {
        fprintf(stderr, "optext: cannot write %s\n", out);
    }
    free(bytes);
    free(data);
    return rc;
}
