"""Merge partitions from one model repository into another built from the same base network.

Algorithm 1 picks each partition's (c', s) on its own; when one partition needs another try (more epochs, a
larger c'), rebuilding every partition would waste hours of CPU. ``merge`` adds or replaces the partitions
of SOURCE in TARGET after checking that both come from the same base network and test set, and records the
command of every build whose partitions remain (``trainCommand`` joins them with `` && ``, each partition
keeps its own in ``training.command``). A partition built at another codec setting (e.g. a lower JPEG quality for
an early cut, where the uplink dominates) keeps it as its own ``codec``; the manifest's ``codec`` stays the
default of every partition that has none."""
from __future__ import annotations

import json
import os
import re
import shutil
from typing import Any, Dict, List, Optional

from .export import partition_codec, sha256_file

# Fields that must be identical: otherwise the two repositories are not cuts of the same network.
_SAME = ("name", "version", "input", "classes", "baselineAccuracy", "testSamples")


class MergeError(ValueError):
    pass


def _load(folder: str) -> Dict[str, Any]:
    path = os.path.join(folder, "manifest.json")
    if not os.path.exists(path):
        raise MergeError(f"{folder} has no manifest.json")
    with open(path) as fh:
        return json.load(fh)


_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def merge_repositories(target: str, source: str, rename: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """``rename`` maps SOURCE partition ids to the ids they get in TARGET (e.g. ``rb1`` -> ``rb1q12``: a
    second bottleneck at the same block, beside the one TARGET has, for Algorithm 1 to choose between)."""
    t, s = _load(target), _load(source)
    rename = dict(rename or {})
    source_ids = {p["id"] for p in s["partitions"]}
    for old, new in rename.items():
        if old not in source_ids:
            raise MergeError(f"--as {old}={new}: {source} has no partition {old!r} (it has {sorted(source_ids)})")
        if not _ID.match(new) or new in ("cloud", "mobile"):
            raise MergeError(f"--as {old}={new}: {new!r} is not a partition id (letters, digits, '_', '.', '-'; "
                             "not cloud/mobile)")
    for key in _SAME:
        if t.get(key) != s.get(key):
            raise MergeError(f"{key} differs: {t.get(key)!r} in {target}, {s.get(key)!r} in {source}")
    if t["full"]["sha256"] != s["full"]["sha256"]:
        raise MergeError("full.onnx differs: the repositories were built from different base networks")
    with open(os.path.join(target, "reference.json")) as fh:
        t_ref = json.load(fh)
    with open(os.path.join(source, "reference.json")) as fh:
        s_ref = json.load(fh)
    if t_ref["pixels"] != s_ref["pixels"]:
        raise MergeError("reference images differ (build both with the same --seed and --test-limit)")
    for p in t["partitions"]:
        p["training"].setdefault("command", t["trainCommand"])
    by_id = {p["id"]: p for p in t["partitions"]}
    for p in s["partitions"]:
        for ref in (p["head"], p["tail"]):
            src = os.path.join(source, ref["file"])
            if sha256_file(src) != ref["sha256"]:
                raise MergeError(f"{src} does not match its sha256 in {source}/manifest.json")
        pid = rename.get(p["id"], p["id"])
        dest_dir = os.path.join(target, pid)
        if os.path.isdir(dest_dir):
            shutil.rmtree(dest_dir)
        shutil.copytree(os.path.join(source, p["id"]), dest_dir)
        entry = dict(p)
        entry["id"] = pid
        for part in ("head", "tail"):
            entry[part] = {**p[part], "file": f"{pid}/{os.path.basename(p[part]['file'])}"}
        entry["training"] = {**p["training"], "command": s["trainCommand"]}
        codec = partition_codec(s, p)
        entry.pop("codec", None)
        if codec != t["codec"]:
            entry["codec"] = codec
        by_id[pid] = entry
        t_ref["partitions"][pid] = s_ref["partitions"][p["id"]]
    t["partitions"] = sorted(by_id.values(), key=lambda p: p["block"])
    # the builds whose partitions remain, in partition order (a build whose partitions were all replaced goes)
    t["trainCommand"] = " && ".join(dict.fromkeys(p["training"]["command"] for p in t["partitions"]))
    with open(os.path.join(target, "reference.json"), "w") as fh:
        json.dump(t_ref, fh, separators=(",", ":"))
    with open(os.path.join(target, "manifest.json"), "w") as fh:
        json.dump(t, fh, indent=2)
        fh.write("\n")
    return t


def add_merge_command(sub, log) -> None:
    p = sub.add_parser("merge", help="add or replace the partitions of SOURCE in TARGET (two repositories built "
                                     "from the same base network), recording both build commands")
    p.add_argument("target", help="repository folder to update (e.g. ../models/scenes-resnet50-slim)")
    p.add_argument("source", help="repository folder whose partitions are copied in")
    p.add_argument("--as", dest="rename", action="append", default=[], metavar="ID=NEW_ID",
                   help="give SOURCE's partition ID the id NEW_ID in TARGET (repeatable), e.g. rb1=rb1q12 to keep "
                        "TARGET's rb1 beside it")

    def run(a) -> int:
        try:
            m = merge_repositories(a.target, a.source, _renames(a.rename))
        except MergeError as e:
            raise SystemExit(f"merge: {e}") from e
        log(f"merged {a.source} into {a.target}: partitions {', '.join(p['id'] for p in m['partitions'])}")
        return 0

    p.set_defaults(fn=run)


def _renames(specs: List[str]) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for spec in specs:
        old, sep, new = spec.partition("=")
        if not sep or not old or not new:
            raise SystemExit(f"merge: --as wants ID=NEW_ID, got {spec!r}")
        out[old] = new
    return out
