/*
 * normalize(pixels: Uint8Array, channels, tables: Float32Array, out: Float32Array, offset) -> 0 or -1
 *
 * The device's input normalisation `x = ((pixel / scale) - mean[c]) / std[c]` as a table lookup:
 * `tables` holds 256 float32 values per channel (channel c at [c*256, c*256+256)), computed by the
 * caller, so the result is bit-identical to any other lookup through the same tables (the TypeScript
 * twin in src/image/pixel-normalizer.ts, model-repo's normalizeInput). `pixels` is row-major with
 * `channels` interleaved bytes per pixel; channel c of pixel i goes to out[offset + c*plane + i]
 * (CHW). One pass over the pixels writes every plane: the loads are sequential, the stores are
 * `channels` sequential streams. Returns -1 (ERR_ARGS) for wrong types, a pixel count that is not a
 * multiple of `channels`, short tables or a short output.
 */
#include "normalize.h"
#include <stddef.h>
#include <stdint.h>

#define ERR_ARGS -1

static napi_value result_i32(napi_env env, int32_t v) {
  napi_value r;
  napi_create_int32(env, v, &r);
  return r;
}

static int typed(napi_env env, napi_value v, napi_typedarray_type want, void **ptr, size_t *len) {
  napi_typedarray_type type;
  size_t off;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &type, len, ptr, &ab, &off) != napi_ok) return 0;
  return type == want || (want == napi_uint8_array && type == napi_uint8_clamped_array);
}

static void planes1(const uint8_t *restrict px, size_t n, const float *restrict t, float *restrict o) {
  for (size_t i = 0; i < n; i++) o[i] = t[px[i]];
}

static void planes3(const uint8_t *restrict px, size_t n, const float *restrict t, float *restrict o) {
  const float *restrict t0 = t, *restrict t1 = t + 256, *restrict t2 = t + 512;
  float *restrict o0 = o, *restrict o1 = o + n, *restrict o2 = o + 2 * n;
  size_t i = 0;
  for (; i + 4 <= n; i += 4, px += 12) {
    o0[i] = t0[px[0]];
    o1[i] = t1[px[1]];
    o2[i] = t2[px[2]];
    o0[i + 1] = t0[px[3]];
    o1[i + 1] = t1[px[4]];
    o2[i + 1] = t2[px[5]];
    o0[i + 2] = t0[px[6]];
    o1[i + 2] = t1[px[7]];
    o2[i + 2] = t2[px[8]];
    o0[i + 3] = t0[px[9]];
    o1[i + 3] = t1[px[10]];
    o2[i + 3] = t2[px[11]];
  }
  for (; i < n; i++, px += 3) {
    o0[i] = t0[px[0]];
    o1[i] = t1[px[1]];
    o2[i] = t2[px[2]];
  }
}

static void planes_any(const uint8_t *px, size_t n, int ch, const float *t, float *o) {
  for (int c = 0; c < ch; c++) {
    const float *tc = t + (size_t)c * 256;
    float *oc = o + (size_t)c * n;
    for (size_t i = 0; i < n; i++) oc[i] = tc[px[i * (size_t)ch + (size_t)c]];
  }
}

napi_value bn_js_normalize(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  void *px, *tables, *out;
  size_t px_len, t_len, out_len;
  int32_t ch, offset;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5 || !typed(env, argv[0], napi_uint8_array, &px, &px_len) ||
      napi_get_value_int32(env, argv[1], &ch) != napi_ok ||
      !typed(env, argv[2], napi_float32_array, &tables, &t_len) ||
      !typed(env, argv[3], napi_float32_array, &out, &out_len) ||
      napi_get_value_int32(env, argv[4], &offset) != napi_ok)
    return result_i32(env, ERR_ARGS);
  if (ch < 1 || ch > 4 || offset < 0 || px_len % (size_t)ch != 0 || t_len < (size_t)ch * 256 ||
      out_len < (size_t)offset + px_len)
    return result_i32(env, ERR_ARGS);
  size_t n = px_len / (size_t)ch;
  float *o = (float *)out + offset;
  if (ch == 1)
    planes1(px, n, tables, o);
  else if (ch == 3)
    planes3(px, n, tables, o);
  else
    planes_any(px, n, ch, tables, o);
  return result_i32(env, 0);
}
