/*
 * The scan of a baseline grayscale JPEG, without libjpeg's per-image set-up: what the feature frame
 * sends with its tables omitted (docs/contracts-for-helpers.md: the entropy-coded bytes after SOS up to
 * EOI). It is byte for byte what libjpeg-turbo writes for jpeg_set_quality(q, TRUE), ISLOW DCT,
 * standard Huffman tables, no restart markers, one component (the codec tests compare both on every
 * quality, many sizes and random images):
 *  - the image is padded to whole 8x8 blocks by repeating its last column and last row (jcsample.c
 *    expand_right_edge, jcprepct.c expand_bottom_edge); one component: one block per MCU, no dummy
 *    blocks;
 *  - samples are level-shifted by 128 and transformed by jfdctint.c's jpeg_fdct_islow (integer, the
 *    SIMD versions are bit-exact to it);
 *  - quantisation is jcdctmgr.c's: divisor = quantval << 3 with the reciprocal, correction and shift
 *    of compute_reciprocal (16-bit DCTELEM, as in SIMD builds), quantval from jcparam.c's
 *    jpeg_quality_scaling and jpeg_add_quant_table (clamped to 1..255);
 *  - Huffman coding is jchuff.c's encode_one_block with the standard luminance tables (ITU T.81
 *    Annex K), 0xFF stuffing, and the final partial byte padded with 1-bits.
 * Per call it touches the image, one 64-entry workspace and tables built once per state (Huffman) or
 * per quality change (divisors): a few kilobytes instead of libjpeg's compressor set-up.
 */
#include "jpeg-scan.h"
#include <string.h>

static const uint8_t std_lum_quant[64] = {
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
  14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
  92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};

static const uint8_t natural_order[64] = {
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
  13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52,
  45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};

static const uint8_t dc_bits[16] = {0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
static const uint8_t dc_vals[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
static const uint8_t ac_bits[16] = {0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d};
static const uint8_t ac_vals[162] = {
  0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
  0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
  0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
  0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
  0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
  0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
  0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
  0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
  0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
  0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
  0xf9, 0xfa};

/* jchuff.c jpeg_make_c_derived_tbl: canonical codes in order of length. */
static void derive(const uint8_t *bits, const uint8_t *vals, uint16_t *code, uint8_t *size) {
  unsigned c = 0;
  int k = 0;
  for (int l = 1; l <= 16; l++) {
    for (int i = 0; i < bits[l - 1]; i++, k++) {
      code[vals[k]] = (uint16_t)c++;
      size[vals[k]] = (uint8_t)l;
    }
    c <<= 1;
  }
}

/* jcparam.c: the force-baseline luminance table at `quality`, natural order. */
static int quant_value(int quality, int i) {
  int scale = quality < 50 ? 5000 / quality : 200 - quality * 2;
  long t = ((long)std_lum_quant[i] * scale + 50L) / 100L;
  if (t <= 0L) t = 1L;
  if (t > 255L) t = 255L;
  return (int)t;
}

/* jcdctmgr.c compute_reciprocal with a 16-bit DCTELEM; the divisor is never 1 here (quantval << 3). */
static void reciprocal(unsigned divisor, uint32_t *recip, uint32_t *corr, int *shift) {
  int b = 31 - __builtin_clz(divisor); /* flss(divisor) - 1 */
  int r = 16 + b;
  uint32_t fq = (uint32_t)((1UL << r) / divisor);
  uint32_t fr = (uint32_t)((1UL << r) % divisor);
  uint32_t c = divisor / 2;
  if (fr == 0) {
    fq >>= 1;
    r--;
  } else if (fr <= divisor / 2U) {
    c++;
  } else {
    fq++;
  }
  *recip = fq & 0xffff;
  *corr = c & 0xffff;
  *shift = r; /* quantize shifts by (r - 16) + 16 */
}

static void prepare(bn_scan_tables *t, int quality) {
  if (!t->ready) {
    memset(t->dc_size, 0, sizeof t->dc_size);
    memset(t->ac_size, 0, sizeof t->ac_size);
    derive(dc_bits, dc_vals, t->dc_code, t->dc_size);
    derive(ac_bits, ac_vals, t->ac_code, t->ac_size);
    t->ready = 1;
  }
  if (t->quality != quality) {
    for (int i = 0; i < 64; i++) reciprocal((unsigned)quant_value(quality, i) << 3, &t->recip[i], &t->corr[i], &t->shift[i]);
    t->quality = quality;
  }
}

/* jfdctint.c jpeg_fdct_islow */
#define CONST_BITS 13
#define PASS1_BITS 2
#define FIX_0_298631336 ((int32_t)2446)
#define FIX_0_390180644 ((int32_t)3196)
#define FIX_0_541196100 ((int32_t)4433)
#define FIX_0_765366865 ((int32_t)6270)
#define FIX_0_899976223 ((int32_t)7373)
#define FIX_1_175875602 ((int32_t)9633)
#define FIX_1_501321110 ((int32_t)12299)
#define FIX_1_847759065 ((int32_t)15137)
#define FIX_1_961570560 ((int32_t)16069)
#define FIX_2_053119869 ((int32_t)16819)
#define FIX_2_562915447 ((int32_t)20995)
#define FIX_3_072711026 ((int32_t)25172)
#define DESCALE(x, n) (((x) + ((int32_t)1 << ((n)-1))) >> (n))

static void fdct_islow(int32_t *d) {
  int32_t tmp0, tmp1, tmp2, tmp3, tmp4, tmp5, tmp6, tmp7, tmp10, tmp11, tmp12, tmp13, z1, z2, z3, z4, z5;
  int32_t *p = d;
  for (int ctr = 0; ctr < 8; ctr++, p += 8) {
    tmp0 = p[0] + p[7];
    tmp7 = p[0] - p[7];
    tmp1 = p[1] + p[6];
    tmp6 = p[1] - p[6];
    tmp2 = p[2] + p[5];
    tmp5 = p[2] - p[5];
    tmp3 = p[3] + p[4];
    tmp4 = p[3] - p[4];
    tmp10 = tmp0 + tmp3;
    tmp13 = tmp0 - tmp3;
    tmp11 = tmp1 + tmp2;
    tmp12 = tmp1 - tmp2;
    p[0] = (int16_t)((tmp10 + tmp11) * (1 << PASS1_BITS));
    p[4] = (int16_t)((tmp10 - tmp11) * (1 << PASS1_BITS));
    z1 = (tmp12 + tmp13) * FIX_0_541196100;
    p[2] = (int16_t)DESCALE(z1 + tmp13 * FIX_0_765366865, CONST_BITS - PASS1_BITS);
    p[6] = (int16_t)DESCALE(z1 + tmp12 * (-FIX_1_847759065), CONST_BITS - PASS1_BITS);
    z1 = tmp4 + tmp7;
    z2 = tmp5 + tmp6;
    z3 = tmp4 + tmp6;
    z4 = tmp5 + tmp7;
    z5 = (z3 + z4) * FIX_1_175875602;
    tmp4 = tmp4 * FIX_0_298631336;
    tmp5 = tmp5 * FIX_2_053119869;
    tmp6 = tmp6 * FIX_3_072711026;
    tmp7 = tmp7 * FIX_1_501321110;
    z1 = z1 * (-FIX_0_899976223);
    z2 = z2 * (-FIX_2_562915447);
    z3 = z3 * (-FIX_1_961570560);
    z4 = z4 * (-FIX_0_390180644);
    z3 += z5;
    z4 += z5;
    p[7] = (int16_t)DESCALE(tmp4 + z1 + z3, CONST_BITS - PASS1_BITS);
    p[5] = (int16_t)DESCALE(tmp5 + z2 + z4, CONST_BITS - PASS1_BITS);
    p[3] = (int16_t)DESCALE(tmp6 + z2 + z3, CONST_BITS - PASS1_BITS);
    p[1] = (int16_t)DESCALE(tmp7 + z1 + z4, CONST_BITS - PASS1_BITS);
  }
  p = d;
  for (int ctr = 0; ctr < 8; ctr++, p++) {
    tmp0 = p[0] + p[56];
    tmp7 = p[0] - p[56];
    tmp1 = p[8] + p[48];
    tmp6 = p[8] - p[48];
    tmp2 = p[16] + p[40];
    tmp5 = p[16] - p[40];
    tmp3 = p[24] + p[32];
    tmp4 = p[24] - p[32];
    tmp10 = tmp0 + tmp3;
    tmp13 = tmp0 - tmp3;
    tmp11 = tmp1 + tmp2;
    tmp12 = tmp1 - tmp2;
    p[0] = (int16_t)DESCALE(tmp10 + tmp11, PASS1_BITS);
    p[32] = (int16_t)DESCALE(tmp10 - tmp11, PASS1_BITS);
    z1 = (tmp12 + tmp13) * FIX_0_541196100;
    p[16] = (int16_t)DESCALE(z1 + tmp13 * FIX_0_765366865, CONST_BITS + PASS1_BITS);
    p[48] = (int16_t)DESCALE(z1 + tmp12 * (-FIX_1_847759065), CONST_BITS + PASS1_BITS);
    z1 = tmp4 + tmp7;
    z2 = tmp5 + tmp6;
    z3 = tmp4 + tmp6;
    z4 = tmp5 + tmp7;
    z5 = (z3 + z4) * FIX_1_175875602;
    tmp4 = tmp4 * FIX_0_298631336;
    tmp5 = tmp5 * FIX_2_053119869;
    tmp6 = tmp6 * FIX_3_072711026;
    tmp7 = tmp7 * FIX_1_501321110;
    z1 = z1 * (-FIX_0_899976223);
    z2 = z2 * (-FIX_2_562915447);
    z3 = z3 * (-FIX_1_961570560);
    z4 = z4 * (-FIX_0_390180644);
    z3 += z5;
    z4 += z5;
    p[56] = (int16_t)DESCALE(tmp4 + z1 + z3, CONST_BITS + PASS1_BITS);
    p[40] = (int16_t)DESCALE(tmp5 + z2 + z4, CONST_BITS + PASS1_BITS);
    p[24] = (int16_t)DESCALE(tmp6 + z2 + z3, CONST_BITS + PASS1_BITS);
    p[8] = (int16_t)DESCALE(tmp7 + z1 + z4, CONST_BITS + PASS1_BITS);
  }
}

typedef struct {
  uint64_t acc;
  int bits;
  uint8_t *p;
} bit_writer;

static inline void put_bits(bit_writer *b, uint32_t code, int size) {
  b->acc = (b->acc << size) | (code & ((1U << size) - 1U));
  b->bits += size;
  while (b->bits >= 8) {
    b->bits -= 8;
    uint8_t c = (uint8_t)(b->acc >> b->bits);
    *b->p++ = c;
    if (c == 0xFF) *b->p++ = 0;
  }
}

size_t bn_scan_bound(int w, int h) {
  return (size_t)((w + 7) / 8) * (size_t)((h + 7) / 8) * BN_SCAN_BLOCK_MAX + 8;
}

long bn_encode_gray_scan(bn_scan_tables *t, const uint8_t *pix, int w, int h, int quality, uint8_t *out,
                         size_t cap) {
  if (w < 1 || h < 1 || quality < 1 || quality > 100) return -1;
  if (cap < bn_scan_bound(w, h)) return -2;
  prepare(t, quality);
  bit_writer bw = {0, 0, out};
  int32_t ws[64];
  int last_dc = 0;
  int bw_blocks = (w + 7) / 8, bh_blocks = (h + 7) / 8;
  for (int by = 0; by < bh_blocks; by++) {
    for (int bx = 0; bx < bw_blocks; bx++) {
      /* samples, edge-replicated, level-shifted */
      for (int y = 0; y < 8; y++) {
        int sy = by * 8 + y;
        const uint8_t *row = pix + (size_t)(sy < h ? sy : h - 1) * (size_t)w;
        int x0 = bx * 8;
        if (x0 + 8 <= w) {
          for (int x = 0; x < 8; x++) ws[y * 8 + x] = (int32_t)row[x0 + x] - 128;
        } else {
          for (int x = 0; x < 8; x++) {
            int sx = x0 + x;
            ws[y * 8 + x] = (int32_t)row[sx < w ? sx : w - 1] - 128;
          }
        }
      }
      fdct_islow(ws);
      /* quantise, in zigzag order, noting the non-zero AC terms in a mask (bit k: zigzag index k) */
      int zz[64];
      uint64_t nonzero = 0;
      for (int k = 0; k < 64; k++) {
        int i = natural_order[k];
        int32_t v = ws[i];
        uint32_t a = (uint32_t)(v < 0 ? -v : v);
        int32_t q = (int32_t)(((a + t->corr[i]) * t->recip[i]) >> t->shift[i]);
        zz[k] = v < 0 ? -q : q;
        nonzero |= (uint64_t)(q != 0) << k;
      }
      /* Huffman (jchuff.c encode_one_block): the same symbols, visiting only the non-zero terms */
      int temp = zz[0] - last_dc, temp2 = temp;
      last_dc = zz[0];
      if (temp < 0) {
        temp = -temp;
        temp2--;
      }
      int nbits = 0;
      while (temp) {
        nbits++;
        temp >>= 1;
      }
      put_bits(&bw, t->dc_code[nbits], t->dc_size[nbits]);
      if (nbits) put_bits(&bw, (uint32_t)temp2, nbits);
      uint64_t ac = nonzero & ~(uint64_t)1;
      int prev = 0; /* zigzag index of the last coded term */
      while (ac) {
        int k = __builtin_ctzll(ac);
        ac &= ac - 1;
        int r = k - prev - 1;
        prev = k;
        while (r > 15) {
          put_bits(&bw, t->ac_code[0xF0], t->ac_size[0xF0]);
          r -= 16;
        }
        temp = temp2 = zz[k];
        if (temp < 0) {
          temp = -temp;
          temp2--;
        }
        nbits = 32 - __builtin_clz((unsigned)temp);
        int s = (r << 4) + nbits;
        put_bits(&bw, t->ac_code[s], t->ac_size[s]);
        put_bits(&bw, (uint32_t)temp2, nbits);
      }
      int r = 63 - prev;
      if (r > 0) put_bits(&bw, t->ac_code[0], t->ac_size[0]);
    }
  }
  put_bits(&bw, 0x7F, 7); /* pad the last byte with 1-bits; leftover bits are dropped */
  return (long)(bw.p - out);
}
