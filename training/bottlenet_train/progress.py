"""A small progress bar on stderr (tqdm when installed, else a hand-rolled one)."""
from __future__ import annotations

import sys
import time
from typing import Iterable, Iterator, Optional, TypeVar

T = TypeVar("T")


def progress(it: Iterable[T], total: Optional[int] = None, desc: str = "", enabled: bool = True) -> Iterator[T]:
    if not enabled:
        yield from it
        return
    try:
        from tqdm import tqdm  # python3-tqdm from Debian

        yield from tqdm(it, total=total, desc=desc, file=sys.stderr, mininterval=2.0, ascii=True,
                        dynamic_ncols=False, ncols=100)
        return
    except ImportError:
        pass
    start, last = time.time(), 0.0
    for i, x in enumerate(it, 1):
        yield x
        now = time.time()
        if now - last > 2.0 or (total is not None and i == total):
            last = now
            frac = f"{i}/{total}" if total else str(i)
            sys.stderr.write(f"\r{desc} {frac} {now - start:.0f}s")
            sys.stderr.flush()
    sys.stderr.write("\n")
