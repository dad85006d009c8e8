#include "internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ccodecs_version(void) { return 2; }

void ccodecs_free(void *p) { free(p); }

void ccodecs_sink_begin(ccodecs_err_sink *s, char *buf, size_t len) {
    s->buf = buf;
    s->len = len;
    s->code = CCODECS_OK;
    s->has_message = 0;
    if (buf && len) buf[0] = 0;
}

void ccodecs_sink_vset(ccodecs_err_sink *s, int code, const char *prefix, const char *fmt, va_list ap) {
    if (s->code == CCODECS_OK) s->code = code;
    if (s->has_message || !s->buf || s->len == 0) return;
    s->has_message = 1;
    int n = 0;
    if (prefix && *prefix) n = snprintf(s->buf, s->len, "%s: ", prefix);
    if (n < 0 || (size_t)n >= s->len) return;
    vsnprintf(s->buf + n, s->len - (size_t)n, fmt, ap);
}

void ccodecs_sink_set(ccodecs_err_sink *s, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ccodecs_sink_vset(s, code, NULL, fmt, ap);
    va_end(ap);
}

int ccodecs_fail(char *buf, size_t len, int code, const char *fmt, ...) {
    if (buf && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, len, fmt, ap);
        va_end(ap);
    }
    return code;
}
