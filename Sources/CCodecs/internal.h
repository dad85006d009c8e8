#ifndef CCODECS_INTERNAL_H
#define CCODECS_INTERNAL_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "ccodecs.h"

/* Where one call's error goes: the caller's buffer plus the first status. */
typedef struct {
    char *buf;
    size_t len;
    int code;
    int has_message;
} ccodecs_err_sink;

void ccodecs_sink_begin(ccodecs_err_sink *s, char *buf, size_t len);
/* Records the first error only: later ones are usually consequences. */
void ccodecs_sink_vset(ccodecs_err_sink *s, int code, const char *prefix, const char *fmt, va_list ap);
void ccodecs_sink_set(ccodecs_err_sink *s, int code, const char *fmt, ...);
int ccodecs_fail(char *buf, size_t len, int code, const char *fmt, ...);

/* In-memory file for libtiff: read-only over a caller's buffer, or growable. */
typedef struct {
    uint8_t *data;
    size_t size;
    size_t cap;
    uint64_t pos;
    int writable;
    int failed; /* a write could not grow the buffer */
} ccodecs_memfile;
#endif
