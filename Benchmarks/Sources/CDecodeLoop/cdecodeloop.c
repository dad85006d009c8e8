/* The plain C path the Swift decoder is measured against: same libraries, same
 * transforms, no wrappers and no Swift arrays. */
#include "cdecodeloop.h"
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

typedef struct { const uint8_t *data; size_t size, pos; } mem;

static void png_read_mem(png_structp png, png_bytep out, size_t len) {
    mem *m = png_get_io_ptr(png);
    if (len > m->size - m->pos) png_error(png, "truncated");
    memcpy(out, m->data + m->pos, len);
    m->pos += len;
}

int cdecodeloop_png_gray16(const uint8_t *data, size_t size, uint16_t *out, size_t count) {
    mem m = {data, size, 0};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(rows);
        return 1;
    }
    png_set_read_fn(png, &m, png_read_mem);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    if ((size_t)w * h > count || png_get_bit_depth(png, info) != 16) png_error(png, "unexpected");
    png_set_swap(png);
    png_read_update_info(png, info);
    rows = malloc(sizeof(png_bytep) * h);
    for (png_uint_32 y = 0; y < h; y++) rows[y] = (png_bytep)(out + (size_t)y * w);
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    return 0;
}

static tmsize_t t_read(thandle_t h, void *b, tmsize_t n) {
    mem *m = h;
    size_t k = m->pos >= m->size ? 0 : (size_t)n < m->size - m->pos ? (size_t)n : m->size - m->pos;
    memcpy(b, m->data + m->pos, k);
    m->pos += k;
    return (tmsize_t)k;
}
static tmsize_t t_write(thandle_t h, void *b, tmsize_t n) { (void)h; (void)b; (void)n; return -1; }
static toff_t t_seek(thandle_t h, toff_t off, int whence) {
    mem *m = h;
    m->pos = (whence == SEEK_CUR ? m->pos : whence == SEEK_END ? m->size : 0) + off;
    return m->pos;
}
static int t_close(thandle_t h) { (void)h; return 0; }
static toff_t t_size(thandle_t h) { return ((mem *)h)->size; }
static int t_map(thandle_t h, void **base, toff_t *size) { mem *m = h; *base = (void *)m->data; *size = m->size; return 1; }
static void t_unmap(thandle_t h, void *base, toff_t size) { (void)h; (void)base; (void)size; }

int cdecodeloop_tiff_gray16(const uint8_t *data, size_t size, uint16_t *out, size_t count) {
    mem m = {data, size, 0};
    TIFF *t = TIFFClientOpen("bench", "r", &m, t_read, t_write, t_seek, t_close, t_size, t_map, t_unmap);
    if (!t) return 1;
    uint32_t w = 0, h = 0, rps = 0;
    TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
    TIFFGetFieldDefaulted(t, TIFFTAG_ROWSPERSTRIP, &rps);
    if ((size_t)w * h > count) { TIFFClose(t); return 1; }
    if (rps == 0 || rps > h) rps = h;
    for (uint32_t y = 0; y < h; y += rps) {
        uint32_t rows = rps < h - y ? rps : h - y;
        tmsize_t want = (tmsize_t)rows * w * 2;
        if (TIFFReadEncodedStrip(t, TIFFComputeStrip(t, y, 0), out + (size_t)y * w, want) != want) { TIFFClose(t); return 1; }
    }
    TIFFClose(t);
    return 0;
}
