/* PNG encoding into a growable memory buffer, setjmp-guarded like png_read.c. */
#include "internal.h"
#include <png.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t *data;
    size_t size, cap;
    ccodecs_err_sink sink;
    png_bytep *rows;
} png_out;

static void on_error(png_structp png, png_const_charp msg) {
    png_out *o = png_get_error_ptr(png);
    ccodecs_sink_set(&o->sink, CCODECS_ERR_FORMAT, "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

static void write_data(png_structp png, png_bytep in, size_t len) {
    png_out *o = png_get_io_ptr(png);
    if (len > o->cap - o->size) {
        size_t cap = o->cap ? o->cap : 65536;
        while (len > cap - o->size) {
            if (cap > SIZE_MAX / 2) { cap = 0; break; }
            cap *= 2;
        }
        uint8_t *d = cap ? realloc(o->data, cap) : NULL;
        if (!d) {
            ccodecs_sink_set(&o->sink, CCODECS_ERR_MEMORY, "out of memory growing PNG output");
            png_error(png, "out of memory");
        }
        o->data = d;
        o->cap = cap;
    }
    memcpy(o->data + o->size, in, len);
    o->size += len;
}

static void flush_data(png_structp png) { (void)png; }

int ccodecs_png_encode(const ccodecs_png_write_params *p, const void *pixels,
                       uint8_t **out_data, size_t *out_size, char *err, size_t errlen) {
    *out_data = NULL;
    *out_size = 0;
    int channels;
    switch (p->color_type) {
    case PNG_COLOR_TYPE_GRAY: case PNG_COLOR_TYPE_PALETTE: channels = 1; break;
    case PNG_COLOR_TYPE_GRAY_ALPHA: channels = 2; break;
    case PNG_COLOR_TYPE_RGB: channels = 3; break;
    case PNG_COLOR_TYPE_RGB_ALPHA: channels = 4; break;
    default: return ccodecs_fail(err, errlen, CCODECS_ERR_ARGUMENT, "bad PNG colour type %d", p->color_type);
    }
    if (p->width == 0 || p->height == 0)
        return ccodecs_fail(err, errlen, CCODECS_ERR_ARGUMENT, "zero-sized image");
    size_t sample = p->bit_depth == 16 ? 2 : 1;
    size_t stride = (size_t)p->width * channels * sample;

    png_out *o = calloc(1, sizeof *o);
    if (!o) return ccodecs_fail(err, errlen, CCODECS_ERR_MEMORY, "out of memory");
    ccodecs_sink_begin(&o->sink, err, errlen);
    o->rows = malloc(sizeof(png_bytep) * p->height);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, o, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!o->rows || !png || !info) {
        if (png) png_destroy_write_struct(&png, info ? &info : NULL);
        free(o->rows);
        free(o);
        return ccodecs_fail(err, errlen, CCODECS_ERR_MEMORY, "out of memory");
    }
    for (uint32_t y = 0; y < p->height; y++) o->rows[y] = (png_bytep)pixels + (size_t)y * stride;

    if (setjmp(png_jmpbuf(png))) {
        int code = o->sink.code ? o->sink.code : CCODECS_ERR_FORMAT;
        png_destroy_write_struct(&png, &info);
        free(o->data);
        free(o->rows);
        free(o);
        return code;
    }
    png_set_write_fn(png, o, write_data, flush_data);
    if (p->compression_level >= 0) png_set_compression_level(png, p->compression_level);
    png_set_IHDR(png, info, p->width, p->height, p->bit_depth, p->color_type,
                 p->interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (p->color_type == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[256];
        int n = p->palette_entries;
        if (n < 1 || n > 256 || !p->palette_rgb) png_error(png, "palette needs 1...256 entries");
        for (int i = 0; i < n; i++) {
            pal[i].red = p->palette_rgb[3 * i];
            pal[i].green = p->palette_rgb[3 * i + 1];
            pal[i].blue = p->palette_rgb[3 * i + 2];
        }
        png_set_PLTE(png, info, pal, n);
        if (p->palette_alpha && p->palette_alpha_count > 0)
            png_set_tRNS(png, info, p->palette_alpha, p->palette_alpha_count, NULL);
    }
    if (p->ppm_x > 0 && p->ppm_y > 0)
        png_set_pHYs(png, info, (png_uint_32)(p->ppm_x + 0.5), (png_uint_32)(p->ppm_y + 0.5), PNG_RESOLUTION_METER);
    png_write_info(png, info);
    if (p->bit_depth < 8) png_set_packing(png);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (p->bit_depth == 16) png_set_swap(png);
#endif
    if (p->interlaced) png_set_interlace_handling(png);
    png_write_image(png, o->rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);

    *out_data = o->data;
    *out_size = o->size;
    free(o->rows);
    free(o);
    return CCODECS_OK;
}
