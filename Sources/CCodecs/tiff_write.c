/* TIFF encoding into a growable memory buffer, one page per call. Input is
 * planar; libtiff may modify the buffers it is given (byte swapping and
 * predictors work in place), so every strip or tile goes through scratch. */
#include "tiff_common.h"
#include <stdlib.h>
#include <string.h>

struct ccodecs_tiff_writer {
    TIFF *tif;
    ccodecs_memfile mf;
    ccodecs_err_sink sink;
};

int ccodecs_tiff_writer_open(int big_endian, int bigtiff, ccodecs_tiff_writer **out, char *err, size_t errlen) {
    *out = NULL;
    ccodecs_tiff_writer *w = calloc(1, sizeof *w);
    if (!w) return ccodecs_fail(err, errlen, CCODECS_ERR_MEMORY, "out of memory");
    ccodecs_sink_begin(&w->sink, err, errlen);
    w->mf.writable = 1;
    TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
    if (!o) { free(w); return ccodecs_fail(err, errlen, CCODECS_ERR_MEMORY, "out of memory"); }
    TIFFOpenOptionsSetErrorHandlerExtR(o, ccodecs_tiff_on_error, &w->sink);
    TIFFOpenOptionsSetWarningHandlerExtR(o, ccodecs_tiff_on_warning, &w->sink);
    char mode[4] = {'w', big_endian ? 'b' : 'l', bigtiff ? '8' : 0, 0};
    w->tif = ccodecs_tiff_client_open(&w->mf, mode, o);
    TIFFOpenOptionsFree(o);
    if (!w->tif) {
        int code = w->sink.code ? w->sink.code : CCODECS_ERR_IO;
        free(w->mf.data);
        free(w);
        return code;
    }
    *out = w;
    return CCODECS_OK;
}

void ccodecs_tiff_writer_free(ccodecs_tiff_writer *w) {
    if (!w) return;
    if (w->tif) TIFFClose(w->tif);
    free(w->mf.data);
    free(w);
}

/* Gathers `n` pixels starting at sample offset `at` of every plane into `dst`,
 * interleaved (spp > 1) or from one plane. */
static void gather(const uint8_t *src, size_t plane_bytes, size_t at, size_t n, int spp, int bytes, uint8_t *dst) {
#define GATHER(T)                                                             \
    for (int s = 0; s < spp; s++) {                                           \
        const T *in = (const T *)(src + (size_t)s * plane_bytes) + at;        \
        T *o = (T *)dst + s;                                                  \
        for (size_t i = 0; i < n; i++) o[i * (size_t)spp] = in[i];            \
    }
    if (spp == 1) memcpy(dst, src + at * bytes, n * bytes);
    else if (bytes == 1) { GATHER(uint8_t) }
    else if (bytes == 2) { GATHER(uint16_t) }
    else { GATHER(uint32_t) }
#undef GATHER
}

static int set_fields(TIFF *t, const ccodecs_tiff_page_params *p) {
    int ok = TIFFSetField(t, TIFFTAG_IMAGEWIDTH, p->width) && TIFFSetField(t, TIFFTAG_IMAGELENGTH, p->height) &&
             TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, (uint16_t)p->bits_per_sample) &&
             TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)p->samples_per_pixel) &&
             TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, (uint16_t)p->sample_format) &&
             TIFFSetField(t, TIFFTAG_PLANARCONFIG, (uint16_t)p->planar) &&
             TIFFSetField(t, TIFFTAG_PHOTOMETRIC, (uint16_t)p->photometric) &&
             TIFFSetField(t, TIFFTAG_COMPRESSION, (uint16_t)p->compression);
    if (!ok) return 0;
    int base = p->photometric == PHOTOMETRIC_RGB ? 3 : 1;
    if (p->samples_per_pixel > base) {
        uint16_t extra[8] = {0};
        int n = p->samples_per_pixel - base;
        if (p->last_sample_is_alpha) extra[n - 1] = EXTRASAMPLE_UNASSALPHA;
        if (!TIFFSetField(t, TIFFTAG_EXTRASAMPLES, (uint16_t)n, extra)) return 0;
    }
    if ((p->compression == COMPRESSION_LZW || p->compression == COMPRESSION_ADOBE_DEFLATE) && p->predictor > 1)
        if (!TIFFSetField(t, TIFFTAG_PREDICTOR, (uint16_t)p->predictor)) return 0;
    if (p->res_x > 0 && p->res_y > 0)
        if (!TIFFSetField(t, TIFFTAG_XRESOLUTION, (float)p->res_x) || !TIFFSetField(t, TIFFTAG_YRESOLUTION, (float)p->res_y) ||
            !TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, (uint16_t)RESUNIT_CENTIMETER))
            return 0;
    if (p->tile_width && p->tile_height)
        return TIFFSetField(t, TIFFTAG_TILEWIDTH, p->tile_width) && TIFFSetField(t, TIFFTAG_TILELENGTH, p->tile_height);
    uint32_t rps = p->rows_per_strip ? p->rows_per_strip : TIFFDefaultStripSize(t, 0);
    return TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rps);
}

int ccodecs_tiff_write_page(ccodecs_tiff_writer *w, const ccodecs_tiff_page_params *p, const void *pixels,
                            char *err, size_t errlen) {
    ccodecs_sink_begin(&w->sink, err, errlen);
    TIFF *t = w->tif;
    if (!t) return ccodecs_fail(err, errlen, CCODECS_ERR_ARGUMENT, "writer already finished");
    if (p->width == 0 || p->height == 0) return ccodecs_fail(err, errlen, CCODECS_ERR_ARGUMENT, "zero-sized image");
    if ((p->bits_per_sample != 8 && p->bits_per_sample != 16 && p->bits_per_sample != 32) ||
        p->samples_per_pixel < 1 || p->samples_per_pixel > 8)
        return ccodecs_fail(err, errlen, CCODECS_ERR_ARGUMENT, "unsupported layout: %d bits, %d samples",
                            p->bits_per_sample, p->samples_per_pixel);
    if (!set_fields(t, p)) return w->sink.code ? w->sink.code : ccodecs_fail(err, errlen, CCODECS_ERR_ARGUMENT, "bad TIFF fields");

    const uint8_t *src = pixels;
    int spp = p->samples_per_pixel, bytes = p->bits_per_sample / 8;
    int separate = p->planar == PLANARCONFIG_SEPARATE;
    int per_chunk = separate ? 1 : spp;
    size_t plane_bytes = (size_t)p->width * p->height * bytes;
    int tiled = p->tile_width && p->tile_height;
    uint32_t cw = tiled ? p->tile_width : p->width;
    uint32_t ch = tiled ? p->tile_height : 0;
    if (!tiled) TIFFGetField(t, TIFFTAG_ROWSPERSTRIP, &ch);
    if (ch == 0 || ch > p->height) ch = tiled ? ch : p->height;
    size_t chunk = (size_t)cw * ch * per_chunk * bytes;
    uint8_t *buf = malloc(chunk);
    if (!buf) return ccodecs_fail(err, errlen, CCODECS_ERR_MEMORY, "out of memory");

    int st = CCODECS_OK;
    for (int plane = 0; plane < (separate ? spp : 1) && !st; plane++)
        for (uint32_t y = 0; y < p->height && !st; y += ch)
            for (uint32_t x = 0; x < p->width && !st; x += cw) {
                uint32_t rows = ch < p->height - y ? ch : p->height - y;
                uint32_t cols = cw < p->width - x ? cw : p->width - x;
                const uint8_t *plane_src = src + (size_t)plane * plane_bytes;
                if (tiled) memset(buf, 0, chunk); /* edge tiles are padded */
                for (uint32_t k = 0; k < rows; k++)
                    gather(plane_src, plane_bytes, (size_t)(y + k) * p->width + x, cols, per_chunk, bytes,
                           buf + (size_t)k * cw * per_chunk * bytes);
                tmsize_t n = tiled ? TIFFWriteEncodedTile(t, TIFFComputeTile(t, x, y, 0, (uint16_t)plane), buf, (tmsize_t)chunk)
                                   : TIFFWriteEncodedStrip(t, TIFFComputeStrip(t, y, (uint16_t)plane), buf,
                                                           (tmsize_t)((size_t)rows * cw * per_chunk * bytes));
                if (n < 0 || w->mf.failed) st = w->sink.code ? w->sink.code : CCODECS_ERR_MEMORY;
            }
    free(buf);
    if (!st && !TIFFWriteDirectory(t)) st = w->sink.code ? w->sink.code : CCODECS_ERR_IO;
    if (!st && w->mf.failed) st = CCODECS_ERR_MEMORY;
    if (st && err && errlen && !err[0]) snprintf(err, errlen, "TIFF write failed");
    return st;
}

int ccodecs_tiff_writer_finish(ccodecs_tiff_writer *w, uint8_t **out_data, size_t *out_size, char *err, size_t errlen) {
    ccodecs_sink_begin(&w->sink, err, errlen);
    *out_data = NULL;
    *out_size = 0;
    if (!w->tif) return ccodecs_fail(err, errlen, CCODECS_ERR_ARGUMENT, "writer already finished");
    int ok = TIFFFlush(w->tif);
    TIFFClose(w->tif);
    w->tif = NULL;
    if (!ok || w->mf.failed) return w->sink.code ? w->sink.code : ccodecs_fail(err, errlen, CCODECS_ERR_MEMORY, "TIFF flush failed");
    *out_data = w->mf.data;
    *out_size = w->mf.size;
    w->mf.data = NULL;
    return CCODECS_OK;
}
