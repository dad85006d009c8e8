/* PNG decoding. Each exported function that calls libpng sets its own setjmp,
 * so a libpng error (which longjmps) lands in that function and becomes a
 * status code; nothing escapes to Swift. */
#include "internal.h"
#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ccodecs_png_reader {
    png_structp png;
    png_infop info;
    FILE *file;
    const uint8_t *data;
    size_t size, pos;
    ccodecs_err_sink sink;
    char warning[160]; /* last warning: libpng explains some errors only there */
    png_bytep *rows; /* freed by close, so a longjmp out of read cannot leak it */
    size_t rowbytes;
    uint32_t height;
};

static void on_error(png_structp png, png_const_charp msg) {
    ccodecs_png_reader *r = png_get_error_ptr(png);
    int code = strstr(msg, "CRC") ? CCODECS_ERR_CRC : CCODECS_ERR_FORMAT;
    if (r->warning[0]) ccodecs_sink_set(&r->sink, code, "%s (%s)", msg, r->warning);
    else ccodecs_sink_set(&r->sink, code, "%s", msg);
    png_longjmp(png, 1);
}

/* Warnings are not failures (benign errors are made errors below), but keep the
 * last one: libpng reports e.g. why an IHDR is invalid only as a warning. */
static void on_warning(png_structp png, png_const_charp msg) {
    ccodecs_png_reader *r = png_get_error_ptr(png);
    snprintf(r->warning, sizeof r->warning, "%s", msg);
}

/* Bounded reads: running off the end is a truncation error, never an overread. */
static void read_data(png_structp png, png_bytep out, size_t len) {
    ccodecs_png_reader *r = png_get_io_ptr(png);
    if (r->file) {
        if (fread(out, 1, len, r->file) != len) {
            ccodecs_sink_set(&r->sink, CCODECS_ERR_TRUNCATED, "truncated PNG: unexpected end of file");
            png_error(png, "truncated");
        }
        return;
    }
    if (len > r->size - r->pos) {
        ccodecs_sink_set(&r->sink, CCODECS_ERR_TRUNCATED, "truncated PNG: data ends at byte %zu", r->size);
        png_error(png, "truncated");
    }
    memcpy(out, r->data + r->pos, len);
    r->pos += len;
}

void ccodecs_png_close(ccodecs_png_reader *r) {
    if (!r) return;
    if (r->png) png_destroy_read_struct(&r->png, r->info ? &r->info : NULL, NULL);
    if (r->file) fclose(r->file);
    free(r->rows);
    free(r);
}

int ccodecs_png_open(const ccodecs_source *src, uint32_t max_dimension,
                     ccodecs_png_reader **out, ccodecs_png_info *info,
                     char *err, size_t errlen) {
    *out = NULL;
    memset(info, 0, sizeof *info);
    ccodecs_png_reader *r = calloc(1, sizeof *r);
    if (!r) return ccodecs_fail(err, errlen, CCODECS_ERR_MEMORY, "out of memory");
    ccodecs_sink_begin(&r->sink, err, errlen);

    if (src->path) {
        r->file = fopen(src->path, "rb");
        if (!r->file) {
            int e = errno;
            free(r);
            return ccodecs_fail(err, errlen, CCODECS_ERR_IO, "cannot open: %s", strerror(e));
        }
    } else {
        r->data = src->data;
        r->size = src->data ? src->size : 0;
    }

    /* Check the signature ourselves for a clear "not a PNG" message. */
    uint8_t sig[8];
    size_t got = r->file ? fread(sig, 1, 8, r->file) : (r->size < 8 ? r->size : 8);
    if (!r->file && got) memcpy(sig, r->data, got);
    r->pos = got;
    if (got < 8 || png_sig_cmp(sig, 0, 8) != 0) {
        int code = (got < 8 && png_sig_cmp(sig, 0, got) == 0) ? CCODECS_ERR_TRUNCATED : CCODECS_ERR_FORMAT;
        ccodecs_png_close(r);
        return ccodecs_fail(err, errlen, code, code == CCODECS_ERR_TRUNCATED
                            ? "truncated PNG: shorter than its signature" : "not a PNG file (wrong signature)");
    }

    r->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, r, on_error, on_warning);
    if (!r->png) { ccodecs_png_close(r); return ccodecs_fail(err, errlen, CCODECS_ERR_MEMORY, "out of memory"); }
    r->info = png_create_info_struct(r->png);
    if (!r->info) { ccodecs_png_close(r); return ccodecs_fail(err, errlen, CCODECS_ERR_MEMORY, "out of memory"); }

    if (setjmp(png_jmpbuf(r->png))) {
        int code = r->sink.code ? r->sink.code : CCODECS_ERR_FORMAT;
        ccodecs_png_close(r);
        return code;
    }
    png_set_read_fn(r->png, r, read_data);
    png_set_sig_bytes(r->png, 8);
    png_set_user_limits(r->png, max_dimension, max_dimension);
    png_set_chunk_malloc_max(r->png, 64u << 20); /* ancillary chunks: no giant allocations */
    png_set_benign_errors(r->png, 0);           /* e.g. "not enough image data" must fail */
    png_read_info(r->png, r->info);

    png_uint_32 w, h;
    int depth, color, interlace;
    png_get_IHDR(r->png, r->info, &w, &h, &depth, &color, &interlace, NULL, NULL);
    info->width = w;
    info->height = h;
    info->bit_depth = depth;
    info->color_type = color;
    info->interlaced = interlace != PNG_INTERLACE_NONE;

    if (color == PNG_COLOR_TYPE_PALETTE) {
        png_set_palette_to_rgb(r->png);
        if (png_get_valid(r->png, r->info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(r->png);
    } else if (depth < 8) {
        png_set_packing(r->png); /* one byte per sample, raw value kept */
    }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (depth == 16) png_set_swap(r->png); /* PNG is big-endian; hand out host order */
#endif
    if (info->interlaced) png_set_interlace_handling(r->png);
    png_read_update_info(r->png, r->info);

    info->channels = png_get_channels(r->png, r->info);
    info->sample_bytes = png_get_bit_depth(r->png, r->info) == 16 ? 2 : 1;
    r->rowbytes = png_get_rowbytes(r->png, r->info);
    r->height = h;

    png_uint_32 px, py;
    int unit;
    if (png_get_pHYs(r->png, r->info, &px, &py, &unit) && unit == PNG_RESOLUTION_METER) {
        info->ppm_x = px;
        info->ppm_y = py;
    }
    *out = r;
    return CCODECS_OK;
}

int ccodecs_png_read(ccodecs_png_reader *r, void *out, size_t out_size, char *err, size_t errlen) {
    ccodecs_sink_begin(&r->sink, err, errlen);
    if (r->rows) return ccodecs_fail(err, errlen, CCODECS_ERR_ARGUMENT, "PNG already read");
    if (r->height == 0 || r->rowbytes > out_size / r->height)
        return ccodecs_fail(err, errlen, CCODECS_ERR_ARGUMENT, "output buffer too small");
    r->rows = malloc(sizeof(png_bytep) * r->height);
    if (!r->rows) return ccodecs_fail(err, errlen, CCODECS_ERR_MEMORY, "out of memory");
    for (uint32_t y = 0; y < r->height; y++) r->rows[y] = (png_bytep)out + (size_t)y * r->rowbytes;

    if (setjmp(png_jmpbuf(r->png))) return r->sink.code ? r->sink.code : CCODECS_ERR_FORMAT;
    png_read_image(r->png, r->rows);
    png_read_end(r->png, NULL); /* checks the trailing chunks' CRCs and IEND */
    return CCODECS_OK;
}
