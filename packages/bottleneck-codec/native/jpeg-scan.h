/* A baseline grayscale JPEG scan encoder, byte-identical to libjpeg-turbo's (see jpeg-scan.c). */
#ifndef BOTTLENECK_JPEG_SCAN_H
#define BOTTLENECK_JPEG_SCAN_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
  int ready;
  uint16_t dc_code[16];
  uint8_t dc_size[16];
  uint16_t ac_code[256];
  uint8_t ac_size[256];
  int quality; /* the quality `recip`, `corr` and `shift` are for; 0: none yet */
  uint32_t recip[64], corr[64];
  int shift[64];
} bn_scan_tables;

/* Worst case of one block's entropy-coded bytes (with 0xFF stuffing), for sizing the output. */
#define BN_SCAN_BLOCK_MAX 512

/*
 * Entropy-coded scan (the bytes after SOS up to, not including, EOI) of the w x h 8-bit gray image
 * `pix`, at `quality` (1..100); returns its length, or -2 when `cap` is below
 * bn_scan_bound(w, h).
 */
long bn_encode_gray_scan(bn_scan_tables *t, const uint8_t *pix, int w, int h, int quality, uint8_t *out,
                         size_t cap);

size_t bn_scan_bound(int w, int h);

#endif
