#ifndef CDECODELOOP_H
#define CDECODELOOP_H
#include <stddef.h>
#include <stdint.h>
/* Baselines: decode a 16-bit gray PNG / TIFF from memory into `out`
 * (width*height samples) with libpng / libtiff directly. Return 0 on success. */
int cdecodeloop_png_gray16(const uint8_t *data, size_t size, uint16_t *out, size_t count);
int cdecodeloop_tiff_gray16(const uint8_t *data, size_t size, uint16_t *out, size_t count);
#endif
