/*
 * Thin synchronous N-API binding over libturbojpeg (Debian's libjpeg-turbo 2.1).
 *
 * Design: one compressor and one decompressor handle per JS environment (main thread or worker
 * thread, kept as N-API instance data), callers pass preallocated Uint8Arrays, no call allocates.
 * Errors are returned as negative integers; the message of the last error is read with
 * lastError(). The JS side (src/internal/native.ts) turns them into MeshError.
 *
 * Encoder settings follow docs/contracts-for-helpers.md: baseline, standard Huffman tables,
 * jpeg_set_quality(q, TRUE), ISLOW DCT (TJFLAG_ACCURATEDCT), no restart markers.
 */
#include <node_api.h>
#include <turbojpeg.h>
#include <math.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

#define ERR_ARGS -1      /* bad argument types or ranges */
#define ERR_SMALL -2     /* destination buffer too small */
#define ERR_LIBJPEG -3   /* libjpeg-turbo reported an error (message in lastError) */
#define ERR_SHAPE -4     /* decoded image dimensions differ from the expected ones */
#define ERR_TOO_BIG -5   /* image larger than the caller's pixel limit */
#define ERR_NONFINITE -6 /* the tensor holds NaN or an infinity */

typedef struct {
  tjhandle enc;
  tjhandle dec;
  unsigned char *pixels; /* tiled-image scratch, grown on demand, reused */
  size_t pixels_cap;
  char last_error[256];
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

static void state_finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  codec_state *s = (codec_state *)data;
  if (s->enc) tjDestroy(s->enc);
  if (s->dec) tjDestroy(s->dec);
  free(s->pixels);
  free(s);
}

static codec_state *get_state(napi_env env) {
  codec_state *s = NULL;
  napi_get_instance_data(env, (void **)&s);
  return s;
}

static void set_error(codec_state *s, tjhandle h, const char *fallback) {
  const char *msg = h ? tjGetErrorStr2(h) : NULL;
  snprintf(s->last_error, sizeof s->last_error, "%s", msg && *msg ? msg : fallback);
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

/* encode(pixels, width, height, channels, quality, out) -> bytes written, or a negative error */
static napi_value js_encode(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  unsigned char *src, *dst;
  size_t src_len, dst_len;
  int32_t w, h, ch, q;
  codec_state *s = get_state(env);
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 6 || !get_bytes(env, argv[0], &src, &src_len) || !get_i32(env, argv[1], &w) ||
      !get_i32(env, argv[2], &h) || !get_i32(env, argv[3], &ch) || !get_i32(env, argv[4], &q) ||
      !get_bytes(env, argv[5], &dst, &dst_len))
    return make_i32(env, ERR_ARGS);
  if (w < 1 || h < 1 || (ch != 1 && ch != 3) || q < 1 || q > 100 || src_len < (size_t)w * h * ch)
    return make_i32(env, ERR_ARGS);
  int subsamp = ch == 1 ? TJSAMP_GRAY : TJSAMP_420;
  unsigned long need = tjBufSize(w, h, subsamp);
  if (need == (unsigned long)-1) return make_i32(env, ERR_ARGS);
  if (dst_len < need) return make_i32(env, ERR_SMALL);
  unsigned long size = dst_len;
  if (tjCompress2(s->enc, src, w, 0, h, ch == 1 ? TJPF_GRAY : TJPF_RGB, &dst, &size, subsamp, q,
                  TJFLAG_NOREALLOC | TJFLAG_ACCURATEDCT) != 0) {
    set_error(s, s->enc, "jpeg encode failed");
    return make_i32(env, ERR_LIBJPEG);
  }
  return make_f64(env, (double)size);
}

/*
 * info(jpeg, length, out: Int32Array[3]) -> 0 and out = [width, height, subsampling], or a negative
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
  int w = 0, h = 0, ss = 0, cs = 0;
  if (tjDecompressHeader3(s->dec, src, (unsigned long)len, &w, &h, &ss, &cs) != 0) {
    set_error(s, s->dec, "jpeg header invalid");
    return make_i32(env, ERR_LIBJPEG);
  }
  int32_t *out = (int32_t *)out_ptr;
  out[0] = w; out[1] = h; out[2] = ss;
  return make_i32(env, 0);
}

/*
 * decode(jpeg, length, out, width, height, channels, maxPixels, dims?) -> 0 or a negative error.
 * width/height > 0: the image must have exactly these dimensions (feature tiles);
 * width/height == 0: any size up to maxPixels, out must hold width*height*channels bytes.
 * dims (Int32Array of 2), when given, receives the image's width and height, also with ERR_SMALL, so
 * that a caller decoding into a reusable buffer reads the headers once per image, not twice.
 */
static napi_value js_decode(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  unsigned char *src, *dst;
  size_t src_len, dst_len;
  int32_t len, ew, eh, ch, max_px;
  int32_t *dims = NULL;
  codec_state *s = get_state(env);
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 7 || !get_bytes(env, argv[0], &src, &src_len) || !get_i32(env, argv[1], &len) ||
      !get_bytes(env, argv[2], &dst, &dst_len) || !get_i32(env, argv[3], &ew) || !get_i32(env, argv[4], &eh) ||
      !get_i32(env, argv[5], &ch) || !get_i32(env, argv[6], &max_px))
    return make_i32(env, ERR_ARGS);
  if (argc >= 8) {
    napi_valuetype vt;
    napi_typedarray_type type;
    size_t dims_len, off;
    void *dims_ptr;
    napi_value ab;
    if (napi_typeof(env, argv[7], &vt) != napi_ok) return make_i32(env, ERR_ARGS);
    if (vt != napi_undefined) {
      if (napi_get_typedarray_info(env, argv[7], &type, &dims_len, &dims_ptr, &ab, &off) != napi_ok ||
          type != napi_int32_array || dims_len < 2)
        return make_i32(env, ERR_ARGS);
      dims = (int32_t *)dims_ptr;
    }
  }
  if (len < 0 || (size_t)len > src_len || (ch != 1 && ch != 3) || ew < 0 || eh < 0 || max_px < 1)
    return make_i32(env, ERR_ARGS);
  int w = 0, h = 0, ss = 0, cs = 0;
  if (tjDecompressHeader3(s->dec, src, (unsigned long)len, &w, &h, &ss, &cs) != 0) {
    set_error(s, s->dec, "jpeg header invalid");
    return make_i32(env, ERR_LIBJPEG);
  }
  if ((ew > 0 && w != ew) || (eh > 0 && h != eh)) {
    snprintf(s->last_error, sizeof s->last_error, "jpeg is %dx%d, expected %dx%d", w, h, ew, eh);
    return make_i32(env, ERR_SHAPE);
  }
  if ((long long)w * h > max_px) {
    snprintf(s->last_error, sizeof s->last_error, "jpeg is %dx%d, above the limit of %d pixels", w, h, max_px);
    return make_i32(env, ERR_TOO_BIG);
  }
  if (dims) {
    dims[0] = w;
    dims[1] = h;
  }
  if (dst_len < (size_t)w * h * ch) return make_i32(env, ERR_SMALL);
  if (tjDecompress2(s->dec, src, (unsigned long)len, dst, w, 0, h, ch == 1 ? TJPF_GRAY : TJPF_RGB,
                    TJFLAG_ACCURATEDCT | TJFLAG_LIMITSCANS | TJFLAG_STOPONWARNING) != 0) {
    set_error(s, s->dec, "jpeg decode failed");
    return make_i32(env, ERR_LIBJPEG);
  }
  return make_i32(env, 0);
}


/*
 * The feature path in one call each way, so that per-element work runs in C. The arithmetic is the
 * contract's (docs/contracts-for-helpers.md) and the same IEEE double operations as the TypeScript
 * fallback in src/internal/fused.ts (compiled with -ffp-contract=off: no FMA), so both give
 * identical bytes; the shared vectors test checks it.
 */
static void tile_grid(int c, int *cols) {
  int l = 0;
  while ((1 << l) < c) l++;
  *cols = 1 << ((l + 1) / 2);
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

/*
 * encodeFeature(data: Float32Array, c, h, w, bits, quality, out: Uint8Array, range: Float64Array[2])
 * -> JPEG bytes written to out (complete stream), range = [min, max]; or a negative error.
 */
static napi_value js_encode_feature(napi_env env, napi_callback_info info) {
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
  int cols;
  tile_grid(c, &cols);
  int rows = 1;
  while (rows * cols < c) rows *= 2;
  int width = cols * w, height = rows * h;
  if (width > 65500 || height > 65500) return make_i32(env, ERR_ARGS);
  unsigned long need = tjBufSize(width, height, TJSAMP_GRAY);
  if (need == (unsigned long)-1) return make_i32(env, ERR_ARGS);
  if (dst_len < need) return make_i32(env, ERR_SMALL);
  /* range */
  float mn = data[0], mx = data[0];
  float poison = 0.0f;
  for (size_t i = 0; i < n; i++) {
    float v = data[i];
    poison += v - v;
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  if (poison != 0.0f || poison != poison) return make_i32(env, ERR_NONFINITE);
  ((double *)rptr)[0] = mn;
  ((double *)rptr)[1] = mx;
  /* quantize + level->pixel + tile */
  unsigned char *pix = pixel_scratch(s, (size_t)width * height);
  if (!pix) return make_i32(env, ERR_ARGS);
  int levels = (1 << bits) - 1;
  unsigned char lut[256];
  for (int v = 0; v <= levels; v++) lut[v] = (unsigned char)floor((double)v * 255.0 / levels + 0.5);
  if (c < cols * rows || !(mx > mn)) memset(pix, 0, (size_t)width * height);
  if (mx > mn) {
    double dmin = mn, scale = levels / ((double)mx - (double)mn);
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
  unsigned long size = dst_len;
  if (tjCompress2(s->enc, pix, width, 0, height, TJPF_GRAY, &dst, &size, TJSAMP_GRAY, q,
                  TJFLAG_NOREALLOC | TJFLAG_ACCURATEDCT) != 0) {
    set_error(s, s->enc, "jpeg encode failed");
    return make_i32(env, ERR_LIBJPEG);
  }
  return make_f64(env, (double)size);
}

/*
 * decodeFeature(jpeg, length, c, h, w, bits, min, max, out: Float32Array, offset, headerTrusted) -> 0
 * or a negative error. The JPEG must be exactly the tiled size of c x h x w. headerTrusted = 1 when the
 * caller rebuilt the headers itself from that shape (tables-omitted frames): the SOF then cannot
 * disagree, and the extra header parse (a third of a tiny feature's decode time) is skipped.
 */
static napi_value js_decode_feature(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  unsigned char *src;
  size_t src_len, out_len;
  float *out;
  int32_t len, c, h, w, bits, offset, trusted = 0;
  double mn, mx;
  codec_state *s = get_state(env);
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 10 || !get_bytes(env, argv[0], &src, &src_len) || !get_i32(env, argv[1], &len) ||
      !get_i32(env, argv[2], &c) || !get_i32(env, argv[3], &h) || !get_i32(env, argv[4], &w) ||
      !get_i32(env, argv[5], &bits) || napi_get_value_double(env, argv[6], &mn) != napi_ok ||
      napi_get_value_double(env, argv[7], &mx) != napi_ok || !get_f32(env, argv[8], &out, &out_len) ||
      !get_i32(env, argv[9], &offset) || (argc >= 11 && !get_i32(env, argv[10], &trusted)))
    return make_i32(env, ERR_ARGS);
  if (len < 0 || (size_t)len > src_len || c < 1 || h < 1 || w < 1 || bits < 1 || bits > 8 || offset < 0 ||
      (size_t)offset + (size_t)c * h * w > out_len)
    return make_i32(env, ERR_ARGS);
  int cols;
  tile_grid(c, &cols);
  int rows = 1;
  while (rows * cols < c) rows *= 2;
  int width = cols * w, height = rows * h;
  int jw = width, jh = height, ss = 0, cs = 0;
  if (!trusted && tjDecompressHeader3(s->dec, src, (unsigned long)len, &jw, &jh, &ss, &cs) != 0) {
    set_error(s, s->dec, "jpeg header invalid");
    return make_i32(env, ERR_LIBJPEG);
  }
  if (jw != width || jh != height) {
    snprintf(s->last_error, sizeof s->last_error, "jpeg is %dx%d, expected %dx%d", jw, jh, width, height);
    return make_i32(env, ERR_SHAPE);
  }
  unsigned char *pix = pixel_scratch(s, (size_t)width * height);
  if (!pix) return make_i32(env, ERR_ARGS);
  if (tjDecompress2(s->dec, src, (unsigned long)len, pix, width, 0, height, TJPF_GRAY,
                    TJFLAG_ACCURATEDCT | TJFLAG_LIMITSCANS | TJFLAG_STOPONWARNING) != 0) {
    set_error(s, s->dec, "jpeg decode failed");
    return make_i32(env, ERR_LIBJPEG);
  }
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
  s->enc = tjInitCompress();
  s->dec = tjInitDecompress();
  if (!s->enc || !s->dec) {
    napi_throw_error(env, NULL, "libturbojpeg handle initialisation failed");
    state_finalize(env, s, NULL);
    return NULL;
  }
  napi_set_instance_data(env, s, state_finalize, NULL);
  napi_property_descriptor props[] = {
    {"bufSize", NULL, js_buf_size, NULL, NULL, NULL, napi_enumerable, NULL},
    {"encode", NULL, js_encode, NULL, NULL, NULL, napi_enumerable, NULL},
    {"info", NULL, js_info, NULL, NULL, NULL, napi_enumerable, NULL},
    {"decode", NULL, js_decode, NULL, NULL, NULL, napi_enumerable, NULL},
    {"encodeFeature", NULL, js_encode_feature, NULL, NULL, NULL, napi_enumerable, NULL},
    {"decodeFeature", NULL, js_decode_feature, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lastError", NULL, js_last_error, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
