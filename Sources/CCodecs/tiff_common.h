#ifndef CCODECS_TIFF_COMMON_H
#define CCODECS_TIFF_COMMON_H
#include "internal.h"
#include <tiffio.h>

/* Client procs over a ccodecs_memfile (see tiff_memfile.c). */
TIFF *ccodecs_tiff_client_open(ccodecs_memfile *m, const char *mode, TIFFOpenOptions *opts);
/* Per-handle handlers: user_data is the handle's ccodecs_err_sink. */
int ccodecs_tiff_on_error(TIFF *tif, void *user_data, const char *module, const char *fmt, va_list ap);
int ccodecs_tiff_on_warning(TIFF *tif, void *user_data, const char *module, const char *fmt, va_list ap);
#endif
