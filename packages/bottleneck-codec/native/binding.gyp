{
  "targets": [
    {
      "target_name": "bottleneck_codec",
      "sources": ["jpeg.c", "normalize.c", "jpeg-scan.c"],
      "libraries": ["-lturbojpeg", "-ljpeg", "-lm"],
      "cflags": ["-O3", "-Wall", "-Wextra", "-ffp-contract=off"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
