#!/usr/bin/python3
"""Writes held-out test scenes (training's seeded scene generator, split 'test') for the demo, the
end-to-end tests and bench/e2e, so that they classify exactly the images the manifest's accuracy was
measured on.

    /usr/bin/python3 scripts/demo-scenes.py --count 200 --size 112 --seed 0 --out .cache/scenes-test.bin

File layout (little-endian): b"BNSC", u32 count, u32 height, u32 width, u32 channels, count label bytes,
then count * height * width * channels pixel bytes (HWC, RGB).
"""
import argparse
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "training"))

from bottlenet_train.data import Scenes  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--size", type=int, default=112)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--offset", type=int, default=0, help="first test index")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    ds = Scenes("test", size=a.size, seed=a.seed)
    n = min(a.count, len(ds) - a.offset)
    labels = bytes(int(ds.labels[a.offset + i]) for i in range(n))
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    tmp = a.out + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(b"BNSC" + struct.pack("<IIII", n, a.size, a.size, 3))
        fh.write(labels)
        for i in range(n):
            fh.write(ds.pixels(a.offset + i).tobytes())
    os.replace(tmp, a.out)
    print(f"demo-scenes: wrote {n} test scenes {a.size}x{a.size} (seed {a.seed}) to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
