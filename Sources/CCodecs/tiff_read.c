/* TIFF decoding to planar samples: strips or tiles, contiguous or separate
 * planes, any byte order, classic or BigTIFF. libtiff reports errors through
 * the handle's own handlers into its ccodecs_err_sink. */
#include "tiff_common.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct ccodecs_tiff_reader {
    TIFF *tif;
    ccodecs_memfile mf;
    ccodecs_err_sink sink;
    uint64_t max_alloc;   /* the caller's single-allocation cap (0: none) */
    uint64_t source_size; /* bytes in the file or buffer (0: unknown) */
};

static TIFFOpenOptions *make_options(ccodecs_err_sink *sink, uint64_t max_single_alloc) {
    TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
    if (!o) return NULL;
    TIFFOpenOptionsSetErrorHandlerExtR(o, ccodecs_tiff_on_error, sink);
    TIFFOpenOptionsSetWarningHandlerExtR(o, ccodecs_tiff_on_warning, sink);
    if (max_single_alloc > 0)
        TIFFOpenOptionsSetMaxSingleMemAlloc(o, max_single_alloc > (uint64_t)INT64_MAX ? INT64_MAX : (tmsize_t)max_single_alloc);
    return o;
}

/* libtiff has one error path; sort out "the data stops early" for callers. */
static int finish_error(ccodecs_err_sink *s, int fallback) {
    int code = s->code ? s->code : fallback;
    if (code == CCODECS_ERR_FORMAT && s->buf &&
        (strstr(s->buf, "Read error") || strstr(s->buf, "Not enough data") || strstr(s->buf, "end of file") ||
         strstr(s->buf, "Premature") || strstr(s->buf, "past end")))
        code = CCODECS_ERR_TRUNCATED;
    if (s->buf && s->len && !s->buf[0]) snprintf(s->buf, s->len, "malformed TIFF");
    return code;
}

int ccodecs_tiff_open(const ccodecs_source *src, uint64_t max_single_alloc,
                      ccodecs_tiff_reader **out, char *err, size_t errlen) {
    *out = NULL;
    ccodecs_tiff_reader *r = calloc(1, sizeof *r);
    if (!r) return ccodecs_fail(err, errlen, CCODECS_ERR_MEMORY, "out of memory");
    ccodecs_sink_begin(&r->sink, err, errlen);
    r->max_alloc = max_single_alloc;
    if (src->path) {
        struct stat st;
        if (stat(src->path, &st) == 0 && st.st_size > 0) r->source_size = (uint64_t)st.st_size;
    } else {
        r->source_size = src->data ? src->size : 0;
    }
    TIFFOpenOptions *opts = make_options(&r->sink, max_single_alloc);
    if (!opts) { free(r); return ccodecs_fail(err, errlen, CCODECS_ERR_MEMORY, "out of memory"); }

    if (src->path) {
        FILE *f = fopen(src->path, "rb"); /* for a clear "cannot open" message */
        if (!f) {
            int e = errno;
            TIFFOpenOptionsFree(opts);
            free(r);
            return ccodecs_fail(err, errlen, CCODECS_ERR_IO, "cannot open: %s", strerror(e));
        }
        fclose(f);
        r->tif = TIFFOpenExt(src->path, "r", opts);
    } else {
        r->mf.data = (uint8_t *)src->data; /* read-only: mf.writable is 0 */
        r->mf.size = src->data ? src->size : 0;
        r->tif = ccodecs_tiff_client_open(&r->mf, "r", opts);
    }
    TIFFOpenOptionsFree(opts); /* libtiff copied what it needs */
    if (!r->tif) {
        int code = finish_error(&r->sink, CCODECS_ERR_FORMAT);
        free(r);
        return code;
    }
    *out = r;
    return CCODECS_OK;
}

void ccodecs_tiff_close(ccodecs_tiff_reader *r) {
    if (!r) return;
    if (r->tif) TIFFClose(r->tif);
    free(r);
}

int ccodecs_tiff_page_count(ccodecs_tiff_reader *r, int *count, char *err, size_t errlen) {
    ccodecs_sink_begin(&r->sink, err, errlen);
    tdir_t n = TIFFNumberOfDirectories(r->tif);
    *count = n > 65535 ? 65535 : (int)n;
    if (n == 0) return finish_error(&r->sink, CCODECS_ERR_FORMAT);
    return CCODECS_OK;
}

static int select_page(ccodecs_tiff_reader *r, int page) {
    if (page < 0) return ccodecs_fail(r->sink.buf, r->sink.len, CCODECS_ERR_ARGUMENT, "negative page index");
    if (TIFFCurrentDirectory(r->tif) == (tdir_t)page) return CCODECS_OK;
    if (!TIFFSetDirectory(r->tif, (tdir_t)page)) {
        if (!r->sink.code) ccodecs_sink_set(&r->sink, CCODECS_ERR_ARGUMENT, "no page %d in this TIFF", page);
        return finish_error(&r->sink, CCODECS_ERR_FORMAT);
    }
    return CCODECS_OK;
}

int ccodecs_tiff_get_page_info(ccodecs_tiff_reader *r, int page, ccodecs_tiff_page_info *info, char *err, size_t errlen) {
    ccodecs_sink_begin(&r->sink, err, errlen);
    memset(info, 0, sizeof *info);
    int st = select_page(r, page);
    if (st) return st;
    TIFF *t = r->tif;
    uint32_t w = 0, h = 0;
    uint16_t bps = 1, spp = 1, fmt = SAMPLEFORMAT_UINT, planar = PLANARCONFIG_CONTIG, photo = PHOTOMETRIC_MINISBLACK,
             comp = COMPRESSION_NONE, unit = RESUNIT_INCH;
    TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
    TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLEFORMAT, &fmt);
    TIFFGetFieldDefaulted(t, TIFFTAG_PLANARCONFIG, &planar);
    TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &photo);
    TIFFGetFieldDefaulted(t, TIFFTAG_COMPRESSION, &comp);
    TIFFGetFieldDefaulted(t, TIFFTAG_RESOLUTIONUNIT, &unit);
    float rx = 0, ry = 0;
    if (TIFFGetField(t, TIFFTAG_XRESOLUTION, &rx)) info->res_x = rx;
    if (TIFFGetField(t, TIFFTAG_YRESOLUTION, &ry)) info->res_y = ry;
    uint16_t nextra = 0;
    uint16_t *extra = NULL;
    if (TIFFGetField(t, TIFFTAG_EXTRASAMPLES, &nextra, &extra) && nextra > 0 && extra)
        info->last_sample_is_alpha = extra[nextra - 1] == EXTRASAMPLE_ASSOCALPHA || extra[nextra - 1] == EXTRASAMPLE_UNASSALPHA;
    info->width = w;
    info->height = h;
    info->bits_per_sample = bps;
    info->samples_per_pixel = spp;
    info->sample_format = fmt;
    info->planar = planar;
    info->photometric = photo;
    info->compression = comp;
    info->tiled = TIFFIsTiled(t);
    info->res_unit = unit;
    return CCODECS_OK;
}

/* Copies `n` interleaved pixels of `spp` samples into planes. */
static void scatter(const uint8_t *src, size_t n, int spp, int bytes, uint8_t *dst, size_t plane_bytes) {
#define SCATTER(T)                                                              \
    for (int s = 0; s < spp; s++) {                                             \
        const T *in = (const T *)src + s;                                       \
        T *o = (T *)(dst + (size_t)s * plane_bytes);                            \
        for (size_t i = 0; i < n; i++) o[i] = in[i * (size_t)spp];              \
    }
    if (bytes == 1) { SCATTER(uint8_t) }
    else if (bytes == 2) { SCATTER(uint16_t) }
    else { SCATTER(uint32_t) }
#undef SCATTER
}

static int supported(ccodecs_tiff_reader *r, const ccodecs_tiff_page_info *i) {
    char *e = r->sink.buf;
    size_t n = r->sink.len;
    if (i->width == 0 || i->height == 0) return ccodecs_fail(e, n, CCODECS_ERR_FORMAT, "zero-sized page (%ux%u)", i->width, i->height);
    if (i->bits_per_sample != 8 && i->bits_per_sample != 16 && i->bits_per_sample != 32)
        return ccodecs_fail(e, n, CCODECS_ERR_UNSUPPORTED, "unsupported bits per sample %d (need 8, 16 or 32)", i->bits_per_sample);
    if (i->sample_format == SAMPLEFORMAT_IEEEFP ? i->bits_per_sample != 32 : i->sample_format != SAMPLEFORMAT_UINT)
        return ccodecs_fail(e, n, CCODECS_ERR_UNSUPPORTED, "unsupported sample format %d with %d bits (need unsigned integer or 32-bit float)",
                            i->sample_format, i->bits_per_sample);
    if (i->samples_per_pixel < 1 || i->samples_per_pixel > 8)
        return ccodecs_fail(e, n, CCODECS_ERR_UNSUPPORTED, "unsupported samples per pixel %d", i->samples_per_pixel);
    if (i->photometric != PHOTOMETRIC_MINISBLACK && i->photometric != PHOTOMETRIC_MINISWHITE && i->photometric != PHOTOMETRIC_RGB)
        return ccodecs_fail(e, n, CCODECS_ERR_UNSUPPORTED, "unsupported photometric interpretation %d", i->photometric);
    switch (i->compression) {
    case COMPRESSION_NONE: case COMPRESSION_LZW: case COMPRESSION_ADOBE_DEFLATE: case COMPRESSION_DEFLATE: case COMPRESSION_PACKBITS:
        if (TIFFIsCODECConfigured((uint16_t)i->compression)) break;
        /* fallthrough */
    default:
        return ccodecs_fail(e, n, CCODECS_ERR_UNSUPPORTED, "unsupported compression %d", i->compression);
    }
    if (i->planar != PLANARCONFIG_CONTIG && i->planar != PLANARCONFIG_SEPARATE)
        return ccodecs_fail(e, n, CCODECS_ERR_FORMAT, "bad planar configuration %d", i->planar);
    return CCODECS_OK;
}

static int read_tiles(ccodecs_tiff_reader *r, const ccodecs_tiff_page_info *i, uint8_t *out, size_t plane_bytes) {
    TIFF *t = r->tif;
    uint32_t tw = 0, th = 0;
    TIFFGetField(t, TIFFTAG_TILEWIDTH, &tw);
    TIFFGetField(t, TIFFTAG_TILELENGTH, &th);
    tmsize_t tsize = TIFFTileSize(t);
    if (tw == 0 || th == 0 || tsize <= 0) return ccodecs_fail(r->sink.buf, r->sink.len, CCODECS_ERR_FORMAT, "bad tile size");
    int separate = i->planar == PLANARCONFIG_SEPARATE;
    int spp = i->samples_per_pixel, bytes = i->bits_per_sample / 8;
    int per_tile = separate ? 1 : spp;
    uint64_t need = (uint64_t)tw * th * per_tile * bytes;
    if (need > (uint64_t)tsize) return ccodecs_fail(r->sink.buf, r->sink.len, CCODECS_ERR_FORMAT, "bad tile size");
    /* Why: TileWidth and TileLength come from the file, and a 200-byte file asked for a 34 GB
     * tile buffer (found by fuzzing). A tile is decoded from the file's bytes, so it cannot be
     * larger than the file at the best ratio of the supported codecs (LZW, under 4096:1), and
     * our buffer obeys the same single-allocation cap as libtiff's own. */
    uint64_t cap = r->max_alloc ? r->max_alloc : UINT64_MAX;
    if (r->source_size && r->source_size < (UINT64_MAX - 4096) / 4096 && r->source_size * 4096 + 4096 < cap)
        cap = r->source_size * 4096 + 4096;
    if ((uint64_t)tsize > cap)
        return ccodecs_fail(r->sink.buf, r->sink.len, CCODECS_ERR_FORMAT, "tile of %ux%u (%lld bytes) is larger than the file can hold",
                            tw, th, (long long)tsize);
    uint8_t *buf = malloc((size_t)tsize);
    if (!buf) return ccodecs_fail(r->sink.buf, r->sink.len, CCODECS_ERR_MEMORY, "out of memory for a tile");
    int st = CCODECS_OK;
    for (int plane = 0; plane < (separate ? spp : 1) && !st; plane++)
        for (uint32_t y = 0; y < i->height && !st; y += th)
            for (uint32_t x = 0; x < i->width && !st; x += tw) {
                tmsize_t got = TIFFReadEncodedTile(t, TIFFComputeTile(t, x, y, 0, (uint16_t)plane), buf, tsize);
                /* Why the size check: a tile that decodes short would leave part of `buf`
                 * (uninitialised heap memory) to be copied into the image. */
                if (got < 0 || (uint64_t)got < need) {
                    if (got >= 0 && !r->sink.code)
                        ccodecs_sink_set(&r->sink, CCODECS_ERR_TRUNCATED, "tile at (%u, %u): got %lld of %llu bytes", x, y, (long long)got, (unsigned long long)need);
                    st = finish_error(&r->sink, CCODECS_ERR_FORMAT);
                    break;
                }
                uint32_t rows = th < i->height - y ? th : i->height - y;
                uint32_t cols = tw < i->width - x ? tw : i->width - x;
                for (uint32_t k = 0; k < rows; k++) {
                    const uint8_t *src = buf + (size_t)k * tw * per_tile * bytes;
                    uint8_t *dst = out + (((size_t)(y + k) * i->width) + x) * bytes;
                    if (separate) memcpy(dst + (size_t)plane * plane_bytes, src, (size_t)cols * bytes);
                    else scatter(src, cols, spp, bytes, dst, plane_bytes);
                }
            }
    free(buf);
    return st;
}

static int read_strips(ccodecs_tiff_reader *r, const ccodecs_tiff_page_info *i, uint8_t *out, size_t plane_bytes) {
    TIFF *t = r->tif;
    uint32_t rps = 0;
    TIFFGetFieldDefaulted(t, TIFFTAG_ROWSPERSTRIP, &rps);
    if (rps == 0 || rps > i->height) rps = i->height;
    int separate = i->planar == PLANARCONFIG_SEPARATE;
    int spp = i->samples_per_pixel, bytes = i->bits_per_sample / 8;
    size_t row_bytes = (size_t)i->width * bytes; /* one plane's row */
    /* One plane per strip: decode straight into the output, no copy. */
    int direct = separate || spp == 1;
    uint8_t *buf = NULL;
    if (!direct) {
        buf = malloc((size_t)rps * row_bytes * spp);
        if (!buf) return ccodecs_fail(r->sink.buf, r->sink.len, CCODECS_ERR_MEMORY, "out of memory for a strip");
    }
    int st = CCODECS_OK;
    for (int plane = 0; plane < (separate ? spp : 1) && !st; plane++)
        for (uint32_t y = 0; y < i->height; y += rps) {
            uint32_t rows = rps < i->height - y ? rps : i->height - y;
            tmsize_t want = (tmsize_t)(rows * row_bytes * (direct ? 1 : spp));
            uint8_t *dst = out + (size_t)plane * plane_bytes + (size_t)y * row_bytes;
            tmsize_t got = TIFFReadEncodedStrip(t, TIFFComputeStrip(t, y, (uint16_t)plane), direct ? dst : buf, want);
            if (got != want) {
                if (!r->sink.code) ccodecs_sink_set(&r->sink, CCODECS_ERR_TRUNCATED, "strip at row %u: got %lld of %lld bytes", y, (long long)got, (long long)want);
                st = finish_error(&r->sink, CCODECS_ERR_FORMAT);
                break;
            }
            if (!direct) scatter(buf, (size_t)rows * i->width, spp, bytes, dst, plane_bytes);
        }
    free(buf);
    return st;
}

int ccodecs_tiff_read_page(ccodecs_tiff_reader *r, int page, void *out, size_t out_size, char *err, size_t errlen) {
    ccodecs_tiff_page_info i;
    int st = ccodecs_tiff_get_page_info(r, page, &i, err, errlen);
    if (st) return st;
    st = supported(r, &i);
    if (st) return st;
    size_t bytes = (size_t)i.bits_per_sample / 8;
    if ((uint64_t)i.width * i.height > SIZE_MAX / bytes / (size_t)i.samples_per_pixel)
        return ccodecs_fail(err, errlen, CCODECS_ERR_MEMORY, "page too large");
    size_t plane_bytes = (size_t)i.width * i.height * bytes;
    if (out_size < plane_bytes * (size_t)i.samples_per_pixel)
        return ccodecs_fail(err, errlen, CCODECS_ERR_ARGUMENT, "output buffer too small");
    return i.tiled ? read_tiles(r, &i, out, plane_bytes) : read_strips(r, &i, out, plane_bytes);
}
