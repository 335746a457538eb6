/*
 * Thin synchronous N-API binding over Debian's libjpeg-turbo 2.1 (the libjpeg API of libjpeg62-turbo;
 * libturbojpeg for tjBufSize only), plus the quantizer and tiling loops.
 *
 * Design: one libjpeg compressor and one decompressor per JS environment (main thread or worker
 * thread, kept as N-API instance data), callers pass preallocated typed arrays (with an offset, so
 * the JS side can write results straight into its result pool), no call allocates once the scratch
 * buffers have grown. Errors are returned as negative integers; the message of the last error is
 * read with lastError(). The JS side (src/internal/native.ts) turns them into MeshError.
 *
 * Encoder settings follow docs/contracts-for-helpers.md: baseline, standard Huffman tables,
 * jpeg_set_quality(q, TRUE), ISLOW DCT, no restart markers: byte for byte what tjCompress2 with
 * TJFLAG_ACCURATEDCT writes. The decoder is TurboJPEG's tjDecompress2 with TJFLAG_ACCURATEDCT |
 * TJFLAG_LIMITSCANS | TJFLAG_STOPONWARNING, re-done on the libjpeg API so the headers are read once.
 */
#include <node_api.h>
#include <turbojpeg.h>
#include <math.h>
#include <setjmp.h>
#include <stddef.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>
#include <jerror.h>
#include "normalize.h"
#include "jpeg-scan.h"
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define ERR_ARGS -1      /* bad argument types or ranges */
#define ERR_SMALL -2     /* destination buffer too small */
#define ERR_LIBJPEG -3   /* libjpeg-turbo reported an error (message in lastError) */
#define ERR_SHAPE -4     /* decoded image dimensions differ from the expected ones */
#define ERR_TOO_BIG -5   /* image larger than the caller's pixel limit */
#define ERR_NONFINITE -6 /* the tensor holds NaN or an infinity */

/* libjpeg error manager: errors (and, for decoding, warnings) longjmp back to the caller. */
typedef struct {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
  int stop_on_warning;
  char message[JMSG_LENGTH_MAX];
} lj_error;

/* Progress monitor: at most MAX_SCANS scans per image (TurboJPEG's TJFLAG_LIMITSCANS). */
#define MAX_SCANS 500
typedef struct {
  struct jpeg_progress_mgr pub;
  lj_error *err;
} lj_progress;

typedef struct {
  /*
   * libjpeg compressors, one per stream kind (see encode_any): optimize_coding overwrites the
   * compressor's Huffman tables, and jpeg_set_defaults does not put the standard ones back.
   */
  struct jpeg_compress_struct cinfo[2];
  lj_error cerr[2];
  int enc_key[2][4]; /* width, height, channels, quality each compressor's parameters are set for */
  int enc_key_valid[2];
  tjhandle reference;  /* TurboJPEG compressor, only for encodeReference (tests) */
  struct jpeg_decompress_struct dinfo; /* libjpeg decompressor: headers read once per decode */
  lj_error derr;
  lj_progress dprog;
  struct jpeg_destination_mgr dest;
  int have_cinfo[2], have_dinfo;
  unsigned char *pixels; /* tiled-image scratch, grown on demand, reused */
  size_t pixels_cap;
  JSAMPROW *rows; /* row pointers, grown on demand */
  size_t rows_cap;
  char last_error[256];
  bn_scan_tables scan; /* jpeg-scan.c: Huffman tables and the divisors of the last quality */
  unsigned char level_lut[9][256]; /* level -> pixel for bits 1..8, filled once in init */
} codec_state;

static unsigned char *pixel_scratch(codec_state *s, size_t n) {
  if (s->pixels_cap < n) {
    size_t cap = n > 2 * s->pixels_cap ? n : 2 * s->pixels_cap;
    unsigned char *p = realloc(s->pixels, cap);
    if (!p) return NULL;
    s->pixels = p;
    s->pixels_cap = cap;
  }
  return s->pixels;
}

__attribute__((noinline)) static JSAMPROW *row_scratch(codec_state *s, size_t n) {
  if (s->rows_cap < n) {
    JSAMPROW *p = realloc(s->rows, n * sizeof *p);
    if (!p) return NULL;
    s->rows = p;
    s->rows_cap = n;
  }
  return s->rows;
}

static void state_finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  codec_state *s = (codec_state *)data;
  for (int m = 0; m < 2; m++)
    if (s->have_cinfo[m]) jpeg_destroy_compress(&s->cinfo[m]);
  if (s->reference) tjDestroy(s->reference);
  if (s->have_dinfo) jpeg_destroy_decompress(&s->dinfo);
  free(s->pixels);
  free(s->rows);
  free(s);
}

/* ---- libjpeg plumbing ---- */

static void lj_error_exit(j_common_ptr cinfo) {
  lj_error *e = (lj_error *)cinfo->err;
  (*cinfo->err->format_message)(cinfo, e->message);
  longjmp(e->jump, 1);
}

static void lj_emit_message(j_common_ptr cinfo, int level) {
  lj_error *e = (lj_error *)cinfo->err;
  if (level < 0) {
    /* a warning, e.g. a truncated or corrupt scan: an error for us (TJFLAG_STOPONWARNING) */
    cinfo->err->num_warnings++;
    if (e->stop_on_warning) {
      (*cinfo->err->format_message)(cinfo, e->message);
      longjmp(e->jump, 1);
    }
  }
}

static void lj_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void lj_progress_monitor(j_common_ptr cinfo) {
  if (!cinfo->is_decompressor) return;
  lj_progress *p = (lj_progress *)cinfo->progress;
  if (((j_decompress_ptr)cinfo)->input_scan_number > MAX_SCANS) {
    snprintf(p->err->message, sizeof p->err->message, "progressive JPEG has more than %d scans", MAX_SCANS);
    longjmp(p->err->jump, 1);
  }
}

static void lj_error_init(lj_error *e, int stop_on_warning) {
  jpeg_std_error(&e->pub);
  e->pub.error_exit = lj_error_exit;
  e->pub.emit_message = lj_emit_message;
  e->pub.output_message = lj_output_message;
  e->stop_on_warning = stop_on_warning;
  e->message[0] = 0;
}

/* Destination: the caller's buffer (sized with tjBufSize, the worst case); overflowing it is an error. */
static void dest_init(j_compress_ptr cinfo) { (void)cinfo; }
static boolean dest_empty(j_compress_ptr cinfo) {
  ERREXIT(cinfo, JERR_BUFFER_SIZE);
  return FALSE;
}
static void dest_term(j_compress_ptr cinfo) { (void)cinfo; }

static codec_state *get_state(napi_env env) {
  codec_state *s = NULL;
  napi_get_instance_data(env, (void **)&s);
  return s;
}

static int get_bytes(napi_env env, napi_value v, unsigned char **data, size_t *len) {
  napi_typedarray_type type;
  size_t length, offset;
  void *ptr;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &type, &length, &ptr, &ab, &offset) != napi_ok) return 0;
  if (type != napi_uint8_array && type != napi_uint8_clamped_array) return 0;
  *data = (unsigned char *)ptr;
  *len = length;
  return 1;
}

static int get_i32(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

static napi_value make_i32(napi_env env, int32_t v) {
  napi_value r;
  napi_create_int32(env, v, &r);
  return r;
}

static napi_value make_f64(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

static int get_f32(napi_env env, napi_value v, float **data, size_t *len) {
  napi_typedarray_type type;
  size_t off;
  void *ptr;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &type, len, &ptr, &ab, &off) != napi_ok || type != napi_float32_array) return 0;
  *data = (float *)ptr;
  return 1;
}

/* An optional typed array argument: undefined -> *ptr = NULL (returns 1); wrong type -> 0. */
static int get_optional(napi_env env, napi_value v, napi_typedarray_type want, void **ptr, size_t *len) {
  napi_valuetype vt;
  napi_typedarray_type type;
  size_t off;
  napi_value ab;
  *ptr = NULL;
  *len = 0;
  if (napi_typeof(env, v, &vt) != napi_ok) return 0;
  if (vt == napi_undefined) return 1;
  if (napi_get_typedarray_info(env, v, &type, len, ptr, &ab, &off) != napi_ok) return 0;
  if (type == want) return 1;
  if (want == napi_uint8_array && type == napi_uint8_clamped_array) return 1;
  return 0;
}

/* ---- JPEG encode: the standard stream (TurboJPEG) or the compact one (libjpeg, optimised Huffman, no APP0) ---- */

#define MODE_STANDARD 0
#define MODE_COMPACT 1

/*
 * One encoder for both streams, on the libjpeg API of the same libjpeg-turbo. `standard` is what
 * tjCompress2 writes (jpeg_set_defaults, jpeg_set_quality(q, TRUE), ISLOW DCT, jpeg_set_colorspace
 * gray or YCbCr 4:2:0, JFIF APP0, standard Huffman tables): the same bytes (the shared vectors, made
 * with tjCompress2, check it). `compact` adds optimize_coding (per-image Huffman tables, lossless) and
 * drops the JFIF APP0: what tjCompress2 writes with TJ_OPTIMIZE=1, minus its APP0 (tested).
 * Each kind has its own compressor. The parameters survive jpeg_finish_compress (libjpeg's documented re-use of a compression object),
 * so they are set up again only when size, channels, quality or mode change; jpeg_start_compress(TRUE)
 * writes every table again each time.
 */
static int encode_any(codec_state *s, int mode, const unsigned char *src, int w, int h, int ch, int q,
                      unsigned char *dst, size_t cap, size_t *written) {
  j_compress_ptr c = &s->cinfo[mode];
  int *key = s->enc_key[mode];
  if (!row_scratch(s, (size_t)h)) return ERR_ARGS;
  for (int y = 0; y < h; y++) s->rows[y] = (JSAMPROW)(src + (size_t)y * w * ch);
  if (setjmp(s->cerr[mode].jump)) {
    jpeg_abort_compress(c);
    s->enc_key_valid[mode] = 0;
    snprintf(s->last_error, sizeof s->last_error, "%s", s->cerr[mode].message);
    return ERR_LIBJPEG;
  }
  s->dest.next_output_byte = dst;
  s->dest.free_in_buffer = cap;
  c->dest = &s->dest;
  if (!s->enc_key_valid[mode] || key[0] != w || key[1] != h || key[2] != ch || key[3] != q) {
    s->enc_key_valid[mode] = 0;
    c->image_width = (JDIMENSION)w;
    c->image_height = (JDIMENSION)h;
    c->input_components = ch;
    c->in_color_space = ch == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(c);
    jpeg_set_quality(c, q, TRUE);
    c->dct_method = JDCT_ISLOW;
    jpeg_set_colorspace(c, ch == 1 ? JCS_GRAYSCALE : JCS_YCbCr);
    if (ch == 3) { /* 4:2:0, as TJSAMP_420 */
      c->comp_info[0].h_samp_factor = 2;
      c->comp_info[0].v_samp_factor = 2;
      c->comp_info[1].h_samp_factor = c->comp_info[1].v_samp_factor = 1;
      c->comp_info[2].h_samp_factor = c->comp_info[2].v_samp_factor = 1;
    }
    if (mode == MODE_COMPACT) {
      c->optimize_coding = TRUE;
      c->write_JFIF_header = FALSE;
    }
    key[0] = w;
    key[1] = h;
    key[2] = ch;
    key[3] = q;
    s->enc_key_valid[mode] = 1;
  }
  jpeg_start_compress(c, TRUE);
  while (c->next_scanline < c->image_height)
    jpeg_write_scanlines(c, s->rows + c->next_scanline, c->image_height - c->next_scanline);
  jpeg_finish_compress(c);
  *written = cap - s->dest.free_in_buffer;
  return 0;
}

/*
 * encodeReference(pixels, width, height, channels, quality, out) -> bytes: TurboJPEG's own
 * tjCompress2 (TJFLAG_ACCURATEDCT, gray or 4:2:0), which honours the TJ_OPTIMIZE environment switch.
 * For tests that compare encode_any with it; the codec never calls it.
 */
static napi_value js_encode_reference(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  unsigned char *src, *dst;
  size_t src_len, dst_len;
  int32_t w, h, ch, q;
  codec_state *s = get_state(env);
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 6 || !get_bytes(env, argv[0], &src, &src_len) || !get_i32(env, argv[1], &w) ||
      !get_i32(env, argv[2], &h) || !get_i32(env, argv[3], &ch) || !get_i32(env, argv[4], &q) ||
      !get_bytes(env, argv[5], &dst, &dst_len) || w < 1 || h < 1 || (ch != 1 && ch != 3) || q < 1 || q > 100 ||
      src_len < (size_t)w * h * ch)
    return make_i32(env, ERR_ARGS);
  int subsamp = ch == 1 ? TJSAMP_GRAY : TJSAMP_420;
  unsigned long need = tjBufSize(w, h, subsamp);
  if (need == (unsigned long)-1 || dst_len < need) return make_i32(env, ERR_SMALL);
  if (!s->reference && !(s->reference = tjInitCompress())) return make_i32(env, ERR_LIBJPEG);
  unsigned long size = dst_len;
  if (tjCompress2(s->reference, src, w, 0, h, ch == 1 ? TJPF_GRAY : TJPF_RGB, &dst, &size, subsamp, q,
                  TJFLAG_NOREALLOC | TJFLAG_ACCURATEDCT) != 0) {
    snprintf(s->last_error, sizeof s->last_error, "%s", tjGetErrorStr2(s->reference));
    return make_i32(env, ERR_LIBJPEG);
  }
  return make_f64(env, (double)size);
}

/* ---- JPEG decode with libjpeg: the headers are read once ---- */

/* Phase 1: reads the headers of src[0, len). On success the decompressor is mid-stream. */
static int decode_header(codec_state *s, const unsigned char *src, size_t len, int *w, int *h) {
  j_decompress_ptr d = &s->dinfo;
  if (setjmp(s->derr.jump)) {
    jpeg_abort_decompress(d);
    snprintf(s->last_error, sizeof s->last_error, "%s", s->derr.message);
    return ERR_LIBJPEG;
  }
  jpeg_mem_src(d, src, (unsigned long)len);
  jpeg_read_header(d, TRUE);
  *w = (int)d->image_width;
  *h = (int)d->image_height;
  return 0;
}

/* Phase 2: decodes the image whose headers decode_header read into dst (w*h*ch bytes, rows packed). */
static int decode_body(codec_state *s, unsigned char *dst, int w, int h, int ch) {
  j_decompress_ptr d = &s->dinfo;
  if (!row_scratch(s, (size_t)h)) {
    jpeg_abort_decompress(d);
    return ERR_ARGS;
  }
  for (int y = 0; y < h; y++) s->rows[y] = dst + (size_t)y * w * ch;
  if (setjmp(s->derr.jump)) {
    jpeg_abort_decompress(d);
    snprintf(s->last_error, sizeof s->last_error, "%s", s->derr.message);
    return ERR_LIBJPEG;
  }
  d->out_color_space = ch == 1 ? JCS_GRAYSCALE : JCS_RGB;
  d->dct_method = JDCT_ISLOW;
  jpeg_start_decompress(d);
  if ((int)d->output_width != w || (int)d->output_height != h || d->output_components != ch) {
    jpeg_abort_decompress(d);
    snprintf(s->last_error, sizeof s->last_error, "jpeg output is %ux%ux%d, expected %dx%dx%d", d->output_width,
             d->output_height, d->output_components, w, h, ch);
    return ERR_LIBJPEG;
  }
  while (d->output_scanline < d->output_height)
    jpeg_read_scanlines(d, s->rows + d->output_scanline, d->output_height - d->output_scanline);
  jpeg_finish_decompress(d);
  return 0;
}

static void abort_decode(codec_state *s) { jpeg_abort_decompress(&s->dinfo); }

/* bufSize(width, height, channels) -> worst-case JPEG size for a preallocated output buffer */
static napi_value js_buf_size(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t w, h, ch;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3 || !get_i32(env, argv[0], &w) || !get_i32(env, argv[1], &h) || !get_i32(env, argv[2], &ch) ||
      w < 1 || h < 1 || (ch != 1 && ch != 3))
    return make_i32(env, ERR_ARGS);
  unsigned long n = tjBufSize(w, h, ch == 1 ? TJSAMP_GRAY : TJSAMP_420);
  return make_f64(env, n == (unsigned long)-1 ? (double)ERR_ARGS : (double)n);
}

/*
 * encode(pixels, width, height, channels, quality, out, mode?, outOffset?) -> bytes written at
 * out[outOffset...], or a negative error (ERR_SMALL: fewer than bufSize(width, height, channels)
 * bytes from outOffset on; make room and call again). mode 0 (default): the standard stream; 1: compact.
 */
static napi_value js_encode(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  unsigned char *src, *dst;
  size_t src_len, dst_len;
  int32_t w, h, ch, q, mode = MODE_STANDARD, at = 0;
  codec_state *s = get_state(env);
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 6 || !get_bytes(env, argv[0], &src, &src_len) || !get_i32(env, argv[1], &w) ||
      !get_i32(env, argv[2], &h) || !get_i32(env, argv[3], &ch) || !get_i32(env, argv[4], &q) ||
      !get_bytes(env, argv[5], &dst, &dst_len) || (argc >= 7 && !get_i32(env, argv[6], &mode)) ||
      (argc >= 8 && !get_i32(env, argv[7], &at)))
    return make_i32(env, ERR_ARGS);
  if (w < 1 || h < 1 || w > 65500 || h > 65500 || (ch != 1 && ch != 3) || q < 1 || q > 100 ||
      src_len < (size_t)w * h * ch || (mode != MODE_STANDARD && mode != MODE_COMPACT) || at < 0 ||
      (size_t)at > dst_len)
    return make_i32(env, ERR_ARGS);
  unsigned long need = tjBufSize(w, h, ch == 1 ? TJSAMP_GRAY : TJSAMP_420);
  if (need == (unsigned long)-1) return make_i32(env, ERR_ARGS);
  if (dst_len - at < need) return make_i32(env, ERR_SMALL);
  size_t size = 0;
  int rc = encode_any(s, mode, src, w, h, ch, q, dst + at, dst_len - at, &size);
  return rc < 0 ? make_i32(env, rc) : make_f64(env, (double)size);
}

/*
 * info(jpeg, length, out: Int32Array[3]) -> 0 and out = [width, height, components], or a negative
 * error. Reads the headers only.
 */
static napi_value js_info(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  unsigned char *src;
  size_t src_len;
  int32_t len;
  napi_typedarray_type type;
  size_t out_len, off;
  void *out_ptr;
  napi_value ab;
  codec_state *s = get_state(env);
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3 || !get_bytes(env, argv[0], &src, &src_len) || !get_i32(env, argv[1], &len) || len < 0 ||
      (size_t)len > src_len ||
      napi_get_typedarray_info(env, argv[2], &type, &out_len, &out_ptr, &ab, &off) != napi_ok ||
      type != napi_int32_array || out_len < 3)
    return make_i32(env, ERR_ARGS);
  int w = 0, h = 0;
  int rc = decode_header(s, src, (size_t)len, &w, &h);
  if (rc < 0) return make_i32(env, rc);
  int32_t *out = (int32_t *)out_ptr;
  out[0] = w;
  out[1] = h;
  out[2] = s->dinfo.num_components;
  abort_decode(s);
  return make_i32(env, 0);
}

/*
 * decode(jpeg, length, out, width, height, channels, maxPixels, dims?, outOffset?) -> 0 or a negative
 * error; the image goes to out[outOffset, outOffset + width*height*channels).
 * width/height > 0: the image must have exactly these dimensions (feature tiles);
 * width/height == 0: any size up to maxPixels, out must hold width*height*channels bytes.
 * dims (Int32Array of 2), when given, receives the image's width and height, also with ERR_SMALL, so
 * that a caller decoding into a reusable buffer can grow it and call again.
 */
static napi_value js_decode(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  unsigned char *src, *dst;
  size_t src_len, dst_len, dims_len;
  int32_t len, ew, eh, ch, max_px, at = 0;
  int32_t *dims = NULL;
  codec_state *s = get_state(env);
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 7 || !get_bytes(env, argv[0], &src, &src_len) || !get_i32(env, argv[1], &len) ||
      !get_bytes(env, argv[2], &dst, &dst_len) || !get_i32(env, argv[3], &ew) || !get_i32(env, argv[4], &eh) ||
      !get_i32(env, argv[5], &ch) || !get_i32(env, argv[6], &max_px) ||
      (argc >= 8 && !get_optional(env, argv[7], napi_int32_array, (void **)&dims, &dims_len)) ||
      (argc >= 9 && !get_i32(env, argv[8], &at)))
    return make_i32(env, ERR_ARGS);
  if (dims && dims_len < 2) return make_i32(env, ERR_ARGS);
  if (len < 0 || (size_t)len > src_len || (ch != 1 && ch != 3) || ew < 0 || eh < 0 || max_px < 1 || at < 0 ||
      (size_t)at > dst_len)
    return make_i32(env, ERR_ARGS);
  int w = 0, h = 0;
  int rc = decode_header(s, src, (size_t)len, &w, &h);
  if (rc < 0) return make_i32(env, rc);
  if ((ew > 0 && w != ew) || (eh > 0 && h != eh)) {
    abort_decode(s);
    snprintf(s->last_error, sizeof s->last_error, "jpeg is %dx%d, expected %dx%d", w, h, ew, eh);
    return make_i32(env, ERR_SHAPE);
  }
  if ((long long)w * h > max_px) {
    abort_decode(s);
    snprintf(s->last_error, sizeof s->last_error, "jpeg is %dx%d, above the limit of %d pixels", w, h, max_px);
    return make_i32(env, ERR_TOO_BIG);
  }
  if (dims) {
    dims[0] = w;
    dims[1] = h;
  }
  if (dst_len - at < (size_t)w * h * ch) {
    abort_decode(s);
    return make_i32(env, ERR_SMALL);
  }
  return make_i32(env, decode_body(s, dst + at, w, h, ch));
}

/*
 * The feature path in one call each way, so that per-element work runs in C. The arithmetic is the
 * contract's (docs/contracts-for-helpers.md) and the same IEEE double operations as the TypeScript
 * fallback in src/internal/fused.ts and src/quantize.ts (compiled with -ffp-contract=off: no FMA), so
 * both give identical bytes and floats; the shared vectors test checks it.
 */
static int tile_cols(int c) {
  int l = 0;
  while ((1 << l) < c) l++;
  return 1 << ((l + 1) / 2);
}

static int tile_rows(int c) {
  int l = 0;
  while ((1 << l) < c) l++;
  return 1 << (l / 2);
}

/* The first value of d[0, n) equal to v (v is in d): a zero's sign as a sequential scan would pick it. */
static float first_equal(const float *d, size_t n, float v) {
  for (size_t i = 0; i < n; i++)
    if (d[i] == v) return d[i];
  return v;
}

/*
 * float32 min/max of d[0, n), n >= 1; 0, or ERR_NONFINITE when a value is NaN or infinite. The result
 * is the sequential scan's `if (v < mn) mn = v` (src/quantize.ts), computed in 4 SSE lanes; the
 * lanes can only disagree with the scan on the sign of a zero extreme, which first_equal restores.
 */
static int range_f32(const float *d, size_t n, float *omn, float *omx) {
  float mn = d[0], mx = d[0];
  int bad = 0;
  size_t i = 0;
#ifdef __SSE2__
  if (n >= 8) {
    /* _mm_min_ps(v, acc) is exactly `v < acc ? v : acc`, _mm_max_ps(v, acc) `v > acc ? v : acc` */
    __m128 vmn = _mm_set1_ps(d[0]), vmx = vmn, vbad = _mm_setzero_ps(), zero = _mm_setzero_ps();
    for (; i + 4 <= n; i += 4) {
      __m128 v = _mm_loadu_ps(d + i);
      vbad = _mm_or_ps(vbad, _mm_cmpneq_ps(_mm_sub_ps(v, v), zero)); /* NaN and +-Inf give NaN */
      vmn = _mm_min_ps(v, vmn);
      vmx = _mm_max_ps(v, vmx);
    }
    float a[4], b[4];
    _mm_storeu_ps(a, vmn);
    _mm_storeu_ps(b, vmx);
    bad = _mm_movemask_ps(vbad) != 0;
    for (int j = 0; j < 4; j++) {
      mn = a[j] < mn ? a[j] : mn;
      mx = b[j] > mx ? b[j] : mx;
    }
  }
#endif
  for (; i < n; i++) {
    float v = d[i];
    bad |= !(v - v == 0.0f);
    mn = v < mn ? v : mn;
    mx = v > mx ? v : mx;
  }
  if (bad) return ERR_NONFINITE;
  if (mn == 0.0f) mn = first_equal(d, n, mn);
  if (mx == 0.0f) mx = first_equal(d, n, mx);
  *omn = mn;
  *omx = mx;
  return 0;
}

/* levels (q) of d[0, n): the contract's quantizer; constant tensor -> 0. */
static void quantize_f32(const float *d, size_t n, double mn, double mx, int levels, unsigned char *q) {
  if (!(mx > mn)) {
    memset(q, 0, n);
    return;
  }
  double scale = levels / (mx - mn);
  for (size_t i = 0; i < n; i++) {
    int v = (int)(((double)d[i] - mn) * scale + 0.5);
    q[i] = (unsigned char)(v > levels ? levels : v);
  }
}

/*
 * Range + quantize + level->pixel + tile of a c x h x w float32 tensor into pix (width*height bytes);
 * range receives [min, max]. 0, or ERR_NONFINITE.
 */
static void fill_level_lut(int bits, unsigned char *lut) {
  int levels = (1 << bits) - 1;
  for (int v = 0; v <= levels; v++) lut[v] = (unsigned char)floor((double)v * 255.0 / levels + 0.5);
}

static int quantize_to_tiles(const unsigned char lut[256], const float *data, int c, int h, int w, int bits,
                             unsigned char *pix, double *range) {
  size_t n = (size_t)c * h * w;
  int cols = tile_cols(c), rows = tile_rows(c);
  int width = cols * w, height = rows * h;
  float fmn, fmx;
  if (range_f32(data, n, &fmn, &fmx) < 0) return ERR_NONFINITE;
  range[0] = fmn;
  range[1] = fmx;
  int levels = (1 << bits) - 1;
  if (c < cols * rows || !(fmx > fmn)) memset(pix, 0, (size_t)width * height);
  if (fmx > fmn) {
    double dmin = fmn, scale = levels / ((double)fmx - (double)fmn);
    const float *src = data;
    for (int k = 0; k < c; k++) {
      unsigned char *base = pix + (size_t)(k / cols) * h * width + (size_t)(k % cols) * w;
      for (int y = 0; y < h; y++) {
        unsigned char *d = base + (size_t)y * width;
        for (int x = 0; x < w; x++) {
          int v = (int)(((double)*src++ - dmin) * scale + 0.5);
          d[x] = lut[v > levels ? levels : v];
        }
      }
    }
  }
  return 0;
}

/*
 * encodeFeature(data: Float32Array, c, h, w, bits, quality, out: Uint8Array, range: Float64Array[2], mode?)
 * -> JPEG bytes written to out (complete stream, standard or compact), range = [min, max]; or a
 * negative error (ERR_SMALL: out is smaller than bufSize of the tiled image).
 */
static napi_value js_encode_feature(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  float *data;
  size_t n;
  unsigned char *dst;
  size_t dst_len;
  int32_t c, h, w, bits, q, mode = MODE_STANDARD;
  napi_typedarray_type type;
  size_t rlen, off;
  void *rptr;
  napi_value ab;
  codec_state *s = get_state(env);
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 8 || !get_f32(env, argv[0], &data, &n) || !get_i32(env, argv[1], &c) || !get_i32(env, argv[2], &h) ||
      !get_i32(env, argv[3], &w) || !get_i32(env, argv[4], &bits) || !get_i32(env, argv[5], &q) ||
      !get_bytes(env, argv[6], &dst, &dst_len) ||
      napi_get_typedarray_info(env, argv[7], &type, &rlen, &rptr, &ab, &off) != napi_ok || type != napi_float64_array ||
      rlen < 2 || (argc >= 9 && !get_i32(env, argv[8], &mode)))
    return make_i32(env, ERR_ARGS);
  if (c < 1 || h < 1 || w < 1 || bits < 1 || bits > 8 || q < 1 || q > 100 || n != (size_t)c * h * w ||
      (mode != MODE_STANDARD && mode != MODE_COMPACT))
    return make_i32(env, ERR_ARGS);
  int width = tile_cols(c) * w, height = tile_rows(c) * h;
  if (width > 65500 || height > 65500) return make_i32(env, ERR_ARGS);
  unsigned long need = tjBufSize(width, height, TJSAMP_GRAY);
  if (need == (unsigned long)-1) return make_i32(env, ERR_ARGS);
  if (dst_len < need) return make_i32(env, ERR_SMALL);
  unsigned char *pix = pixel_scratch(s, (size_t)width * height);
  if (!pix) return make_i32(env, ERR_ARGS);
  if (quantize_to_tiles(s->level_lut[bits], data, c, h, w, bits, pix, (double *)rptr) < 0) return make_i32(env, ERR_NONFINITE);
  size_t size = 0;
  int rc = encode_any(s, mode, pix, width, height, 1, q, dst, dst_len, &size);
  return rc < 0 ? make_i32(env, rc) : make_f64(env, (double)size);
}

/*
 * encodeFeatureScan(data: Float32Array, c, h, w, bits, quality, out: Uint8Array, range: Float64Array[2])
 * -> bytes of the scan written to out: the tables-omitted payload (the entropy-coded bytes of the
 * standard stream encodeFeature writes, between SOS and EOI), by jpeg-scan.c instead of libjpeg;
 * range = [min, max]. Or a negative error (ERR_SMALL: out is below scanBound of the tiled image).
 */
static napi_value js_encode_feature_scan(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  float *data;
  size_t n;
  unsigned char *dst;
  size_t dst_len;
  int32_t c, h, w, bits, q;
  napi_typedarray_type type;
  size_t rlen, off;
  void *rptr;
  napi_value ab;
  codec_state *s = get_state(env);
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 8 || !get_f32(env, argv[0], &data, &n) || !get_i32(env, argv[1], &c) || !get_i32(env, argv[2], &h) ||
      !get_i32(env, argv[3], &w) || !get_i32(env, argv[4], &bits) || !get_i32(env, argv[5], &q) ||
      !get_bytes(env, argv[6], &dst, &dst_len) ||
      napi_get_typedarray_info(env, argv[7], &type, &rlen, &rptr, &ab, &off) != napi_ok || type != napi_float64_array ||
      rlen < 2)
    return make_i32(env, ERR_ARGS);
  if (c < 1 || h < 1 || w < 1 || bits < 1 || bits > 8 || q < 1 || q > 100 || n != (size_t)c * h * w)
    return make_i32(env, ERR_ARGS);
  int width = tile_cols(c) * w, height = tile_rows(c) * h;
  if (width > 65500 || height > 65500) return make_i32(env, ERR_ARGS);
  if (dst_len < bn_scan_bound(width, height)) return make_i32(env, ERR_SMALL);
  unsigned char *pix = pixel_scratch(s, (size_t)width * height);
  if (!pix) return make_i32(env, ERR_ARGS);
  if (quantize_to_tiles(s->level_lut[bits], data, c, h, w, bits, pix, (double *)rptr) < 0) return make_i32(env, ERR_NONFINITE);
  long size = bn_encode_gray_scan(&s->scan, pix, width, height, q, dst, dst_len);
  return size < 0 ? make_i32(env, size == -2 ? ERR_SMALL : ERR_ARGS) : make_f64(env, (double)size);
}

/* scanBound(width, height) -> the output size encodeFeatureScan needs for a width x height tiled image. */
static napi_value js_scan_bound(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t w, h;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || !get_i32(env, argv[0], &w) || !get_i32(env, argv[1], &h) || w < 1 || h < 1 || w > 65500 ||
      h > 65500)
    return make_i32(env, ERR_ARGS);
  return make_f64(env, (double)bn_scan_bound(w, h));
}

/*
 * decodeFeature(jpeg, length, c, h, w, bits, min, max, out: Float32Array, offset) -> 0 or a negative
 * error. The JPEG must be exactly the tiled size of c x h x w (its headers are read once, by the decode).
 */
static napi_value js_decode_feature(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  unsigned char *src;
  size_t src_len, out_len;
  float *out;
  int32_t len, c, h, w, bits, offset;
  double mn, mx;
  codec_state *s = get_state(env);
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 10 || !get_bytes(env, argv[0], &src, &src_len) || !get_i32(env, argv[1], &len) ||
      !get_i32(env, argv[2], &c) || !get_i32(env, argv[3], &h) || !get_i32(env, argv[4], &w) ||
      !get_i32(env, argv[5], &bits) || napi_get_value_double(env, argv[6], &mn) != napi_ok ||
      napi_get_value_double(env, argv[7], &mx) != napi_ok || !get_f32(env, argv[8], &out, &out_len) ||
      !get_i32(env, argv[9], &offset))
    return make_i32(env, ERR_ARGS);
  if (len < 0 || (size_t)len > src_len || c < 1 || h < 1 || w < 1 || bits < 1 || bits > 8 || offset < 0 ||
      (size_t)offset + (size_t)c * h * w > out_len)
    return make_i32(env, ERR_ARGS);
  int cols = tile_cols(c);
  int width = cols * w, height = tile_rows(c) * h;
  int jw = 0, jh = 0;
  int rc = decode_header(s, src, (size_t)len, &jw, &jh);
  if (rc < 0) return make_i32(env, rc);
  if (jw != width || jh != height) {
    abort_decode(s);
    snprintf(s->last_error, sizeof s->last_error, "jpeg is %dx%d, expected %dx%d", jw, jh, width, height);
    return make_i32(env, ERR_SHAPE);
  }
  unsigned char *pix = pixel_scratch(s, (size_t)width * height);
  if (!pix) {
    abort_decode(s);
    return make_i32(env, ERR_ARGS);
  }
  rc = decode_body(s, pix, width, height, 1);
  if (rc < 0) return make_i32(env, rc);
  int levels = (1 << bits) - 1;
  double step = mx > mn ? (mx - mn) / levels : 0.0;
  float table[256];
  for (int p = 0; p < 256; p++) {
    int lv = (int)floor((double)p * levels / 255.0 + 0.5);
    if (lv > levels) lv = levels;
    table[p] = (float)(mn + lv * step);
  }
  float *o = out + offset;
  for (int k = 0; k < c; k++) {
    const unsigned char *base = pix + (size_t)(k / cols) * h * width + (size_t)(k % cols) * w;
    for (int y = 0; y < h; y++) {
      const unsigned char *row = base + (size_t)y * width;
      for (int x = 0; x < w; x++) *o++ = table[row[x]];
    }
  }
  return make_i32(env, 0);
}

/* ---- the quantizer and tiling on their own (src/quantize.ts and src/tiling.ts call these) ---- */

/*
 * quantize(data: Float32Array, bits, out: Uint8Array, range: Float64Array[2]) -> 0, range = [min, max];
 * ERR_NONFINITE; or ERR_ARGS (the caller falls back to its own loop, which names what was wrong).
 */
static napi_value js_quantize(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  float *data;
  size_t n, qlen, rlen;
  unsigned char *q;
  double *range;
  int32_t bits;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4 || !get_f32(env, argv[0], &data, &n) || !get_i32(env, argv[1], &bits) ||
      !get_bytes(env, argv[2], &q, &qlen) || !get_optional(env, argv[3], napi_float64_array, (void **)&range, &rlen) ||
      !range || rlen < 2 || n < 1 || qlen < n || bits < 1 || bits > 8)
    return make_i32(env, ERR_ARGS);
  float mn, mx;
  if (range_f32(data, n, &mn, &mx) < 0) return make_i32(env, ERR_NONFINITE);
  range[0] = mn;
  range[1] = mx;
  quantize_f32(data, n, mn, mx, (1 << bits) - 1, q);
  return make_i32(env, 0);
}

/* dequantize(q: Uint8Array, bits, min, max, out: Float32Array) -> 0 or ERR_ARGS. */
static napi_value js_dequantize(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  unsigned char *q;
  size_t n, flen;
  float *f;
  int32_t bits;
  double mn, mx;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5 || !get_bytes(env, argv[0], &q, &n) || !get_i32(env, argv[1], &bits) ||
      napi_get_value_double(env, argv[2], &mn) != napi_ok || napi_get_value_double(env, argv[3], &mx) != napi_ok ||
      !get_f32(env, argv[4], &f, &flen) || flen < n || bits < 1 || bits > 8)
    return make_i32(env, ERR_ARGS);
  double step = mx > mn ? (mx - mn) / ((1 << bits) - 1) : 0.0;
  float table[256];
  for (int v = 0; v < 256; v++) table[v] = (float)(mn + v * step);
  for (size_t i = 0; i < n; i++) f[i] = table[q[i]];
  return make_i32(env, 0);
}

/*
 * tile(values, c, h, w, out, map?) and untile(pixels, c, h, w, out, map?) -> 0 or ERR_ARGS: the
 * layout of src/tiling.ts; map (256 bytes) is applied to each value on the way.
 */
static int is_identity(const unsigned char *map) {
  for (int i = 0; i < 256; i++)
    if (map[i] != i) return 0;
  return 1;
}

static napi_value tile_either(napi_env env, napi_callback_info info, int inverse) {
  size_t argc = 6;
  napi_value argv[6];
  unsigned char *src, *dst, *map;
  size_t src_len, dst_len, map_len;
  int32_t c, h, w;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5 || !get_bytes(env, argv[0], &src, &src_len) || !get_i32(env, argv[1], &c) ||
      !get_i32(env, argv[2], &h) || !get_i32(env, argv[3], &w) || !get_bytes(env, argv[4], &dst, &dst_len) ||
      (argc >= 6 && !get_optional(env, argv[5], napi_uint8_array, (void **)&map, &map_len)))
    return make_i32(env, ERR_ARGS);
  if (argc < 6) map = NULL, map_len = 0;
  if (c < 1 || h < 1 || w < 1 || c > 65535 || h > 65535 || w > 65535 || (map && map_len < 256))
    return make_i32(env, ERR_ARGS);
  if (map && is_identity(map)) map = NULL; /* 8 bits: level == pixel both ways, a plain copy */
  int cols = tile_cols(c), rows = tile_rows(c);
  size_t width = (size_t)cols * w, npix = width * rows * h, n = (size_t)c * h * w;
  if (inverse ? (src_len < npix || dst_len < n) : (src_len < n || dst_len < npix)) return make_i32(env, ERR_ARGS);
  if (!inverse && c < cols * rows) memset(dst, 0, npix);
  for (int k = 0; k < c; k++) {
    size_t base = (size_t)(k / cols) * h * width + (size_t)(k % cols) * w;
    for (int y = 0; y < h; y++) {
      unsigned char *img = (inverse ? src : dst) + base + (size_t)y * width;
      unsigned char *vals = (inverse ? dst : src) + ((size_t)k * h + y) * w;
      const unsigned char *from = inverse ? img : vals;
      unsigned char *to = inverse ? vals : img;
      if (map)
        for (int x = 0; x < w; x++) to[x] = map[from[x]];
      else
        memcpy(to, from, (size_t)w);
    }
  }
  return make_i32(env, 0);
}

static napi_value js_tile(napi_env env, napi_callback_info info) { return tile_either(env, info, 0); }
static napi_value js_untile(napi_env env, napi_callback_info info) { return tile_either(env, info, 1); }

static napi_value js_last_error(napi_env env, napi_callback_info info) {
  (void)info;
  codec_state *s = get_state(env);
  napi_value r;
  napi_create_string_utf8(env, s->last_error, NAPI_AUTO_LENGTH, &r);
  return r;
}

static napi_value init(napi_env env, napi_value exports) {
  codec_state *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  for (int b = 1; b <= 8; b++) fill_level_lut(b, s->level_lut[b]);
  for (int m = 0; m < 2; m++) {
    lj_error_init(&s->cerr[m], 0);
    s->cinfo[m].err = &s->cerr[m].pub;
    jpeg_create_compress(&s->cinfo[m]);
    s->have_cinfo[m] = 1;
  }
  s->dest.init_destination = dest_init;
  s->dest.empty_output_buffer = dest_empty;
  s->dest.term_destination = dest_term;
  lj_error_init(&s->derr, 1);
  s->dinfo.err = &s->derr.pub;
  jpeg_create_decompress(&s->dinfo);
  s->have_dinfo = 1;
  s->dprog.pub.progress_monitor = lj_progress_monitor;
  s->dprog.err = &s->derr;
  s->dinfo.progress = &s->dprog.pub;
  napi_set_instance_data(env, s, state_finalize, NULL);
  napi_property_descriptor props[] = {
    {"bufSize", NULL, js_buf_size, NULL, NULL, NULL, napi_enumerable, NULL},
    {"encode", NULL, js_encode, NULL, NULL, NULL, napi_enumerable, NULL},
    {"info", NULL, js_info, NULL, NULL, NULL, napi_enumerable, NULL},
    {"decode", NULL, js_decode, NULL, NULL, NULL, napi_enumerable, NULL},
    {"encodeFeature", NULL, js_encode_feature, NULL, NULL, NULL, napi_enumerable, NULL},
    {"decodeFeature", NULL, js_decode_feature, NULL, NULL, NULL, napi_enumerable, NULL},
    {"quantize", NULL, js_quantize, NULL, NULL, NULL, napi_enumerable, NULL},
    {"dequantize", NULL, js_dequantize, NULL, NULL, NULL, napi_enumerable, NULL},
    {"tile", NULL, js_tile, NULL, NULL, NULL, napi_enumerable, NULL},
    {"untile", NULL, js_untile, NULL, NULL, NULL, napi_enumerable, NULL},
    {"encodeReference", NULL, js_encode_reference, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lastError", NULL, js_last_error, NULL, NULL, NULL, napi_enumerable, NULL},
    {"normalize", NULL, bn_js_normalize, NULL, NULL, NULL, napi_enumerable, NULL},
    {"encodeFeatureScan", NULL, js_encode_feature_scan, NULL, NULL, NULL, napi_enumerable, NULL},
    {"scanBound", NULL, js_scan_bound, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
