/*
 * Reference timing: libjpeg-turbo's own C speed for the same pixels and settings the codec uses
 * (tjCompress2 + tjDecompress2, ISLOW DCT, standard tables, handles reused, preallocated buffers).
 * Usage: harness <cases.bin> <reps>. cases.bin: repeated {int32 width, height, channels, quality,
 * iterations; pixels}. Prints one line per case and rep:
 * "<case> <rep> <wall ns per encode+decode> <jpeg bytes> <process CPU ns per encode+decode>".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <turbojpeg.h>

static double clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

typedef struct {
  int32_t w, h, ch, q, iters;
  unsigned char *pixels, *jpeg, *out;
  unsigned long cap;
} bench_case;

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  FILE *f = fopen(argv[1], "rb");
  if (!f) return 2;
  int reps = atoi(argv[2]);
  bench_case cases[64];
  int n = 0;
  while (n < 64 && fread(&cases[n], sizeof(int32_t), 5, f) == 5) {
    bench_case *c = &cases[n];
    size_t px = (size_t)c->w * c->h * c->ch;
    c->pixels = malloc(px);
    c->out = malloc(px);
    if (fread(c->pixels, 1, px, f) != px) return 3;
    c->cap = tjBufSize(c->w, c->h, c->ch == 1 ? TJSAMP_GRAY : TJSAMP_420);
    c->jpeg = malloc(c->cap);
    n++;
  }
  fclose(f);
  tjhandle enc = tjInitCompress(), dec = tjInitDecompress();
  for (int r = 0; r < reps; r++) {
    for (int i = 0; i < n; i++) {
      bench_case *c = &cases[i];
      int sub = c->ch == 1 ? TJSAMP_GRAY : TJSAMP_420, pf = c->ch == 1 ? TJPF_GRAY : TJPF_RGB;
      unsigned long size = 0;
      double t0 = clock_ns(CLOCK_MONOTONIC), c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
      for (int k = 0; k < c->iters; k++) {
        size = c->cap;
        if (tjCompress2(enc, c->pixels, c->w, 0, c->h, pf, &c->jpeg, &size, sub, c->q,
                        TJFLAG_NOREALLOC | TJFLAG_ACCURATEDCT) != 0 ||
            tjDecompress2(dec, c->jpeg, size, c->out, c->w, 0, c->h, pf,
                          TJFLAG_ACCURATEDCT | TJFLAG_LIMITSCANS | TJFLAG_STOPONWARNING) != 0) {
          fprintf(stderr, "harness: %s\n", tjGetErrorStr2(NULL));
          return 4;
        }
      }
      double wall = (clock_ns(CLOCK_MONOTONIC) - t0) / c->iters;
      double cpu = (clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c0) / c->iters;
      printf("%d %d %.1f %lu %.1f\n", i, r, wall, size, cpu);
    }
    fflush(stdout);
  }
  tjDestroy(enc);
  tjDestroy(dec);
  return 0;
}
