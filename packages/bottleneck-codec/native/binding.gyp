{
  "targets": [
    {
      "target_name": "bottleneck_codec",
      "sources": ["jpeg.c"],
      "libraries": ["-lturbojpeg"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
