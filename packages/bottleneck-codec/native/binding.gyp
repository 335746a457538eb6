{
  "targets": [
    {
      "target_name": "bottleneck_codec",
      "sources": ["jpeg.c"],
      "libraries": ["-lturbojpeg", "-lm"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-ffp-contract=off"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
