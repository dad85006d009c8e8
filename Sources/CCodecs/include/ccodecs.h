#ifndef CCODECS_H
#define CCODECS_H

/*
 * Thin C wrappers over libpng and libtiff.
 *
 * Every function that can fail returns a ccodecs_status and writes a readable
 * message into the caller's `err` buffer (errlen bytes, always NUL-terminated).
 * There is no global state: libpng errors longjmp to a setjmp inside the very
 * function that called libpng, and libtiff errors go to per-handle handlers, so
 * different handles may be used on different threads at the same time.
 * This header deliberately does not include png.h or tiffio.h.
 */

#include <stddef.h>
#include <stdint.h>

int ccodecs_version(void);

typedef enum {
    CCODECS_OK = 0,
    CCODECS_ERR_FORMAT = 1,      /* malformed or not this format */
    CCODECS_ERR_TRUNCATED = 2,   /* data ends early */
    CCODECS_ERR_CRC = 3,         /* checksum mismatch */
    CCODECS_ERR_UNSUPPORTED = 4, /* valid file, layout we do not decode */
    CCODECS_ERR_IO = 5,          /* open/read/write failed */
    CCODECS_ERR_MEMORY = 6,      /* allocation failed or over a limit */
    CCODECS_ERR_ARGUMENT = 7     /* caller passed something inconsistent */
} ccodecs_status;

/* Where to read from: a file path when `path` is non-NULL, else memory. */
typedef struct {
    const uint8_t *data;
    size_t size;
    const char *path;
} ccodecs_source;

/* Frees buffers handed out by the encoders. */
void ccodecs_free(void *p);

/* ---------------------------------------------------------------- PNG */

enum {
    CCODECS_PNG_GRAY = 0,
    CCODECS_PNG_RGB = 2,
    CCODECS_PNG_PALETTE = 3,
    CCODECS_PNG_GRAY_ALPHA = 4,
    CCODECS_PNG_RGBA = 6
};

typedef struct {
    uint32_t width, height;
    int bit_depth;    /* as stored: 1, 2, 4, 8 or 16 */
    int color_type;   /* CCODECS_PNG_* as stored */
    int interlaced;   /* 1 for Adam7 */
    int channels;     /* decoded: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA */
    int sample_bytes; /* decoded: 1, or 2 (host byte order) */
    double ppm_x, ppm_y; /* pixels per metre from pHYs, 0 when absent */
} ccodecs_png_info;

typedef struct ccodecs_png_reader ccodecs_png_reader;

/* Reads the header. Palette images decode to RGB(A), gray below 8 bits to one
 * byte per sample holding the raw value (0...2^depth-1). Images wider or taller
 * than max_dimension are refused before any pixel memory is allocated. */
int ccodecs_png_open(const ccodecs_source *src, uint32_t max_dimension,
                     ccodecs_png_reader **out, ccodecs_png_info *info,
                     char *err, size_t errlen);
/* Decodes all pixels, interleaved, rows packed (width*channels*sample_bytes). */
int ccodecs_png_read(ccodecs_png_reader *r, void *out, size_t out_size,
                     char *err, size_t errlen);
void ccodecs_png_close(ccodecs_png_reader *r);

typedef struct {
    uint32_t width, height;
    int bit_depth;  /* 1, 2, 4, 8, 16 */
    int color_type; /* CCODECS_PNG_* */
    int interlaced;
    const uint8_t *palette_rgb; /* palette_entries * 3 bytes, for PALETTE */
    int palette_entries;
    const uint8_t *palette_alpha; /* optional tRNS for PALETTE */
    int palette_alpha_count;
    double ppm_x, ppm_y; /* 0: no pHYs */
    int compression_level; /* 0...9, -1 default */
} ccodecs_png_write_params;

/* Encodes interleaved pixels: one byte per sample for depths <= 8 (raw values,
 * packed by libpng), two bytes in host order for 16. The result is malloc'd:
 * release it with ccodecs_free. */
int ccodecs_png_encode(const ccodecs_png_write_params *p, const void *pixels,
                       uint8_t **out_data, size_t *out_size,
                       char *err, size_t errlen);

/* --------------------------------------------------------------- TIFF */

enum {
    CCODECS_TIFF_SAMPLE_UINT = 1,
    CCODECS_TIFF_SAMPLE_INT = 2,
    CCODECS_TIFF_SAMPLE_FLOAT = 3
};
enum {
    CCODECS_TIFF_COMPRESSION_NONE = 1,
    CCODECS_TIFF_COMPRESSION_LZW = 5,
    CCODECS_TIFF_COMPRESSION_DEFLATE = 8,
    CCODECS_TIFF_COMPRESSION_PACKBITS = 32773
};
enum { CCODECS_TIFF_PHOTOMETRIC_MINISWHITE = 0, CCODECS_TIFF_PHOTOMETRIC_MINISBLACK = 1,
       CCODECS_TIFF_PHOTOMETRIC_RGB = 2 };
enum { CCODECS_TIFF_PLANAR_CONTIG = 1, CCODECS_TIFF_PLANAR_SEPARATE = 2 };

typedef struct {
    uint32_t width, height;
    int bits_per_sample;
    int samples_per_pixel;
    int sample_format; /* CCODECS_TIFF_SAMPLE_* */
    int planar;        /* CCODECS_TIFF_PLANAR_* */
    int photometric;
    int compression;
    int tiled;
    int last_sample_is_alpha; /* from ExtraSamples */
    double res_x, res_y;      /* 0 when absent */
    int res_unit;             /* 1 none, 2 inch, 3 centimetre */
} ccodecs_tiff_page_info;

typedef struct ccodecs_tiff_reader ccodecs_tiff_reader;

/* Opens a TIFF or BigTIFF (either byte order). max_single_alloc caps every
 * single allocation libtiff makes for this handle (decompression-bomb guard). */
int ccodecs_tiff_open(const ccodecs_source *src, uint64_t max_single_alloc,
                      ccodecs_tiff_reader **out, char *err, size_t errlen);
int ccodecs_tiff_page_count(ccodecs_tiff_reader *r, int *count, char *err, size_t errlen);
int ccodecs_tiff_get_page_info(ccodecs_tiff_reader *r, int page, ccodecs_tiff_page_info *info,
                           char *err, size_t errlen);
/* Decodes one page into planar samples in host byte order
 * (plane 0 rows, then plane 1, ...); out_size must hold them all. */
int ccodecs_tiff_read_page(ccodecs_tiff_reader *r, int page, void *out, size_t out_size,
                           char *err, size_t errlen);
void ccodecs_tiff_close(ccodecs_tiff_reader *r);

typedef struct {
    uint32_t width, height;
    int bits_per_sample; /* 8, 16, 32 */
    int sample_format;   /* CCODECS_TIFF_SAMPLE_* */
    int samples_per_pixel;
    int planar;          /* CCODECS_TIFF_PLANAR_* */
    int photometric;
    int last_sample_is_alpha;
    int compression;     /* CCODECS_TIFF_COMPRESSION_* */
    int predictor;       /* 1 none, 2 horizontal, 3 float */
    uint32_t tile_width, tile_height; /* both multiples of 16, or 0 for strips */
    uint32_t rows_per_strip;          /* 0: libtiff default */
    double res_x, res_y;              /* pixels per centimetre, 0 to omit */
} ccodecs_tiff_page_params;

typedef struct ccodecs_tiff_writer ccodecs_tiff_writer;

/* Writes into a growable memory buffer. big_endian and bigtiff select the
 * container; pages are appended with ccodecs_tiff_write_page. */
int ccodecs_tiff_writer_open(int big_endian, int bigtiff, ccodecs_tiff_writer **out,
                             char *err, size_t errlen);
/* Input is planar, host byte order; it is never modified. */
int ccodecs_tiff_write_page(ccodecs_tiff_writer *w, const ccodecs_tiff_page_params *p,
                            const void *planar_pixels, char *err, size_t errlen);
/* Finishes the file and hands over its bytes (release with ccodecs_free). */
int ccodecs_tiff_writer_finish(ccodecs_tiff_writer *w, uint8_t **out_data, size_t *out_size,
                               char *err, size_t errlen);
void ccodecs_tiff_writer_free(ccodecs_tiff_writer *w);

#endif
