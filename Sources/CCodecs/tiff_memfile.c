/* libtiff client I/O over memory: a bounded read-only view for decoding and a
 * growable buffer for encoding. No file system, no globals. */
#include "tiff_common.h"
#include <stdlib.h>
#include <string.h>

static tmsize_t mf_read(thandle_t h, void *buf, tmsize_t n) {
    ccodecs_memfile *m = h;
    if (n <= 0 || m->pos >= m->size) return 0;
    size_t avail = m->size - (size_t)m->pos;
    size_t k = (size_t)n < avail ? (size_t)n : avail;
    memcpy(buf, m->data + m->pos, k);
    m->pos += k;
    return (tmsize_t)k;
}

static tmsize_t mf_write(thandle_t h, void *buf, tmsize_t n) {
    ccodecs_memfile *m = h;
    if (!m->writable || n < 0) return -1;
    if (m->pos > SIZE_MAX - (size_t)n) { m->failed = 1; return -1; }
    size_t end = (size_t)m->pos + (size_t)n;
    if (end > m->cap) {
        size_t cap = m->cap ? m->cap : 65536;
        while (cap < end) {
            if (cap > SIZE_MAX / 2) { m->failed = 1; return -1; }
            cap *= 2;
        }
        uint8_t *d = realloc(m->data, cap);
        if (!d) { m->failed = 1; return -1; }
        m->data = d;
        m->cap = cap;
    }
    if (m->pos > m->size) memset(m->data + m->size, 0, (size_t)m->pos - m->size); /* seek past end */
    memcpy(m->data + m->pos, buf, (size_t)n);
    m->pos = end;
    if (end > m->size) m->size = end;
    return n;
}

static toff_t mf_seek(thandle_t h, toff_t off, int whence) {
    ccodecs_memfile *m = h;
    uint64_t base = whence == SEEK_CUR ? m->pos : whence == SEEK_END ? m->size : 0;
    if (off > UINT64_MAX - base) return (toff_t)-1;
    m->pos = base + off;
    return m->pos;
}

static int mf_close(thandle_t h) { (void)h; return 0; }

static toff_t mf_size(thandle_t h) { return ((ccodecs_memfile *)h)->size; }

/* Reading can use the buffer in place; writing cannot. */
static int mf_map(thandle_t h, void **base, toff_t *size) {
    ccodecs_memfile *m = h;
    if (m->writable) return 0;
    *base = m->data;
    *size = m->size;
    return 1;
}

static void mf_unmap(thandle_t h, void *base, toff_t size) { (void)h; (void)base; (void)size; }

TIFF *ccodecs_tiff_client_open(ccodecs_memfile *m, const char *mode, TIFFOpenOptions *opts) {
    return TIFFClientOpenExt("memory", mode, m, mf_read, mf_write, mf_seek, mf_close, mf_size,
                             mf_map, mf_unmap, opts);
}

int ccodecs_tiff_on_error(TIFF *tif, void *user_data, const char *module, const char *fmt, va_list ap) {
    (void)tif;
    ccodecs_sink_vset(user_data, CCODECS_ERR_FORMAT, module, fmt, ap);
    return 1; /* handled: keep libtiff's global handler (stderr) out of it */
}

int ccodecs_tiff_on_warning(TIFF *tif, void *user_data, const char *module, const char *fmt, va_list ap) {
    (void)tif; (void)user_data; (void)module; (void)fmt; (void)ap;
    return 1;
}
