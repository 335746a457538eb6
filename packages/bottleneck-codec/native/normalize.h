/* Input normalisation (interleaved 8-bit pixels -> planar float32 through per-channel tables). */
#ifndef BOTTLENECK_NORMALIZE_H
#define BOTTLENECK_NORMALIZE_H
#include <node_api.h>

napi_value bn_js_normalize(napi_env env, napi_callback_info info);

#endif
