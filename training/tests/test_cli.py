"""End to end through the CLI on tiny settings: train-base (resumable), build + manifest, search, fig7."""
import json
import os
import shutil
import subprocess
import sys

import onnx
import pytest
import torch

from bottlenet_train import cli
from bottlenet_train.experiments import table4_rows
from bottlenet_train.export import sha256_file
from bottlenet_train.models import resnet_small
from bottlenet_train.train import TrainConfig, train

from .test_data import make_folder

TRAINING = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["--train-limit", "256", "--test-limit", "128", "--no-progress", "--threads", "1"]


def test_help_documents_every_command():
    out = subprocess.run([sys.executable, "-m", "bottlenet_train", "--help"], cwd=TRAINING, check=True,
                         capture_output=True, text=True).stdout
    for cmd in ("train-base", "build", "search", "fig7", "table4", "merge"):
        assert cmd in out
        sub = subprocess.run([sys.executable, "-m", "bottlenet_train", cmd, "--help"], cwd=TRAINING,
                             check=True, capture_output=True, text=True).stdout
        assert "usage:" in sub


def test_train_resumes_from_checkpoint(tmp_path):
    from bottlenet_train.data import build_dataset

    ds = build_dataset("fmnist", "train", limit=256)
    ck = str(tmp_path / "ck.pt")
    m1 = resnet_small(base_width=4)
    r1 = train(m1, ds, TrainConfig(epochs=2, batch_size=64, checkpoint=ck, show_progress=False, log=lambda s: None))
    assert len(r1.history) == 2 and os.path.exists(ck)
    logs = []
    m2 = resnet_small(base_width=4)
    r2 = train(m2, ds, TrainConfig(epochs=2, batch_size=64, checkpoint=ck, show_progress=False, log=logs.append))
    assert any("resumed" in s for s in logs) and r2.history == r1.history
    for a, b in zip(m1.state_dict().values(), m2.state_dict().values()):
        assert torch.equal(a, b)


@pytest.fixture(scope="module")
def base_pt(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("base") / "base.pt")
    assert cli.main(["train-base", "--width", "4", "--epochs", "0.5", "--out", path, *TINY]) == 0
    return path


@pytest.fixture(scope="module")
def built_repo(base_pt, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("repo") / "repo")
    assert cli.main(["build", "--base", base_pt, "--partitions", "1:1:2,3:2:1", "--epochs", "0.25",
                     "--name", "t", "--out", out, *TINY]) == 0
    return out


def test_stage_widths_through_the_cli_and_the_checkpoint(tmp_path):
    from bottlenet_train.pipeline import load_base

    path = str(tmp_path / "wide.pt")
    args = ["train-base", "--width", "4", "--stage-widths", "4,8,12,16", "--epochs", "0.25", *TINY]
    assert cli.main([*args, "--out", path]) == 0
    spec, model, _ = load_base(path)
    assert spec.stage_widths == (4, 8, 12, 16)
    assert model.fc.in_features == 16  # basic blocks: last stage width, expansion 1
    # continuing needs the same layout, and the message names both
    with pytest.raises(SystemExit, match=r"stage widths \[4, 8, 12, 16\].*not resnet-small width 4"):
        cli.main(["train-base", "--width", "4", "--epochs", "0.25", "--init", path, "--out",
                  str(tmp_path / "b.pt"), *TINY])
    for bad in ("4,8,x,16", "4,8,16", "4,0,8,16"):
        with pytest.raises(SystemExit, match="--stage-widths"):
            cli.main(["train-base", "--stage-widths", bad, "--out", str(tmp_path / "c.pt"), *TINY])


def test_build_exports_a_valid_repository(built_repo):
    out = built_repo
    m = json.load(open(os.path.join(out, "manifest.json")))
    for key in ("schemaVersion", "name", "version", "input", "classes", "baselineAccuracy", "full", "codec",
                "partitions", "trainCommand"):
        assert key in m
    assert m["input"] == {"shape": [1, 28, 28], "mean": [0.286], "std": [0.353], "scale": 255}
    assert m["trainCommand"].startswith("/usr/bin/python3 -m bottlenet_train build")
    assert [p["id"] for p in m["partitions"]] == ["rb1", "rb3"]
    p = m["partitions"][0]
    assert (p["channels"], p["spatialFactor"], p["featureShape"]) == (1, 2, [1, 14, 14])
    assert p["meanBytes"] < p["meanBytesFullJpeg"] and p["training"]["method"] == "compression-aware"
    assert p["meanBytes"] < p["meanBytesCompactJpeg"] < p["meanBytesFullJpeg"] - 100
    assert p["training"]["distill"] == 0.0
    for f in [m["full"]] + [x[k] for x in m["partitions"] for k in ("head", "tail")]:
        path = os.path.join(out, f["file"])
        assert sha256_file(path) == f["sha256"]
        g = onnx.load(path).graph
        assert g.input[0].name in ("input", "features") and g.output[0].name in ("features", "logits")
        assert g.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    ref = json.load(open(os.path.join(out, "reference.json")))
    assert set(ref["partitions"]) == {"rb1", "rb3"} and len(ref["full"]["logits"]) == 2


def test_build_on_an_image_folder(tmp_path):
    root = make_folder(str(tmp_path / "imgs"))
    base = str(tmp_path / "fb.pt")
    common = ["--data", "folder", "--folder", root, "--size", "16", "--no-progress", "--threads", "1"]
    assert cli.main(["train-base", "--width", "4", "--epochs", "1", "--batch-size", "4", "--out", base,
                     *common]) == 0
    out = str(tmp_path / "repo")
    assert cli.main(["build", "--base", base, "--partitions", "2:1:1", "--epochs", "1", "--batch-size", "4",
                     "--name", "folder", "--out", out, *common]) == 0
    m = json.load(open(os.path.join(out, "manifest.json")))
    assert m["classes"] == ["cat", "dog"] and m["input"]["shape"] == [3, 16, 16]


def test_search_reports_epochs_and_agreement(base_pt, tmp_path):
    out = str(tmp_path / "search.json")
    assert cli.main(["search", "--base", base_pt, "--blocks", "1", "--channels", "1,2", "--spatial", "2",
                     "--sweep-epochs", "0.5", "--cheap-epochs", "0.25", "--allowed-loss", "1.0",
                     "--out", out, *TINY]) == 0
    rep = json.load(open(out))
    row = rep["partitions"][0]
    assert row["sweep"]["probes"] == 2 and row["cheap"]["probes"] >= 1
    # with a 100-point allowance every probe passes: both pick the fewest bytes
    assert row["sweep"]["choice"]["channels"] == 1 and row["cheap"]["choice"]["channels"] == 1
    assert rep["cheapEpochs"] < rep["sweepEpochs"] and "epochRatio" in rep and row["agree"]
    assert rep["chosen"][0]["block"] == 1


def test_fig7_and_table4(base_pt, tmp_path):
    prefix = str(tmp_path / "fig7")
    assert cli.main(["fig7", "--base", base_pt, "--epochs", "0.25", "--qualities", "5,50",
                     "--out", prefix, *TINY]) == 0
    rows = open(prefix + ".csv").read().splitlines()
    assert rows[0].startswith("method,quality,accuracy,meanBytes") and len(rows) == 5
    assert os.path.getsize(prefix + ".png") > 1000


def test_bad_partition_spec_exits_with_message(base_pt, tmp_path):
    with pytest.raises(SystemExit, match="BLOCK:CHANNELS:SPATIAL"):
        cli.main(["build", "--base", base_pt, "--partitions", "1-2", "--name", "x", "--out", str(tmp_path),
                  *TINY])
    with pytest.raises(FileNotFoundError, match="train-base first"):
        cli.main(["build", "--base", str(tmp_path / "nope.pt"), "--name", "x", "--out", str(tmp_path), *TINY])


def _drop_partition(folder: str, pid: str) -> None:
    m = json.load(open(os.path.join(folder, "manifest.json")))
    m["partitions"] = [p for p in m["partitions"] if p["id"] != pid]
    json.dump(m, open(os.path.join(folder, "manifest.json"), "w"))
    shutil.rmtree(os.path.join(folder, pid))


def test_merge_puts_partitions_of_two_builds_together_and_refuses_a_different_base(built_repo, tmp_path):
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    shutil.copytree(built_repo, a)
    shutil.copytree(built_repo, b)
    _drop_partition(a, "rb3")
    _drop_partition(b, "rb1")
    m = json.load(open(os.path.join(b, "manifest.json")))
    m["trainCommand"] = "/usr/bin/python3 -m bottlenet_train build --second"
    json.dump(m, open(os.path.join(b, "manifest.json"), "w"))
    assert cli.main(["merge", a, b]) == 0
    merged = json.load(open(os.path.join(a, "manifest.json")))
    original = json.load(open(os.path.join(built_repo, "manifest.json")))
    assert [p["id"] for p in merged["partitions"]] == ["rb1", "rb3"]
    for p, q in zip(merged["partitions"], original["partitions"]):
        assert {k: v for k, v in p.items() if k != "training"} == {k: v for k, v in q.items() if k != "training"}
        assert sha256_file(os.path.join(a, p["tail"]["file"])) == p["tail"]["sha256"]
    assert merged["partitions"][1]["training"]["command"].endswith("--second")
    assert merged["trainCommand"] == original["trainCommand"] + " && /usr/bin/python3 -m bottlenet_train build --second"
    ref = json.load(open(os.path.join(a, "reference.json")))
    assert set(ref["partitions"]) == {"rb1", "rb3"}
    m = json.load(open(os.path.join(b, "manifest.json")))
    m["full"]["sha256"] = "0" * 64
    json.dump(m, open(os.path.join(b, "manifest.json"), "w"))
    with pytest.raises(SystemExit, match="different base networks"):
        cli.main(["merge", a, b])


def _target_and_rb1_at_quality_12(built_repo: str, tmp_path) -> tuple:
    """A copy of the built repository (the merge target) and a build of its rb1 alone at JPEG quality 12."""
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    shutil.copytree(built_repo, a)
    shutil.copytree(built_repo, b)
    _drop_partition(b, "rb3")
    m = json.load(open(os.path.join(b, "manifest.json")))
    m["codec"] = {**m["codec"], "quality": 12}
    json.dump(m, open(os.path.join(b, "manifest.json"), "w"))
    return a, b


def test_merge_keeps_a_partition_built_at_another_quality_as_its_own_codec(built_repo, tmp_path):
    a, b = _target_and_rb1_at_quality_12(built_repo, tmp_path)
    assert cli.main(["merge", a, b]) == 0
    merged = json.load(open(os.path.join(a, "manifest.json")))
    original = json.load(open(os.path.join(built_repo, "manifest.json")))
    assert merged["codec"] == original["codec"]
    by_id = {p["id"]: p for p in merged["partitions"]}
    assert by_id["rb1"]["codec"] == {**original["codec"], "quality": 12}
    assert "codec" not in by_id["rb3"]
    rows = {r["partition"]: r for r in table4_rows(merged)}
    assert rows["rb1"]["quality"] == 12 and rows["rb3"]["quality"] == original["codec"]["quality"]
    # merging back a build at the manifest's own setting drops the override
    assert cli.main(["merge", a, str(built_repo)]) == 0
    merged = json.load(open(os.path.join(a, "manifest.json")))
    assert all("codec" not in p for p in merged["partitions"])


def test_merge_as_keeps_a_second_bottleneck_at_the_same_block(built_repo, tmp_path):
    a, b = _target_and_rb1_at_quality_12(built_repo, tmp_path)
    assert cli.main(["merge", a, b, "--as", "rb1=rb1q12"]) == 0
    merged = json.load(open(os.path.join(a, "manifest.json")))
    assert [p["id"] for p in merged["partitions"]] == ["rb1", "rb1q12", "rb3"]
    extra = merged["partitions"][1]
    assert extra["head"]["file"] == "rb1q12/head.onnx" and extra["codec"]["quality"] == 12
    for p in merged["partitions"]:
        for part in ("head", "tail"):
            assert sha256_file(os.path.join(a, p[part]["file"])) == p[part]["sha256"]
    assert set(json.load(open(os.path.join(a, "reference.json")))["partitions"]) == {"rb1", "rb1q12", "rb3"}
    with pytest.raises(SystemExit, match="has no partition 'rb9'"):
        cli.main(["merge", a, b, "--as", "rb9=x"])
    with pytest.raises(SystemExit, match="'cloud' is not a partition id"):
        cli.main(["merge", a, b, "--as", "rb1=cloud"])
    with pytest.raises(SystemExit, match="--as wants ID=NEW_ID"):
        cli.main(["merge", a, b, "--as", "rb1"])


def test_merge_names_what_makes_two_repositories_incompatible(built_repo, tmp_path):
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    shutil.copytree(built_repo, a)
    with pytest.raises(SystemExit, match="has no manifest.json"):
        cli.main(["merge", a, str(tmp_path / "missing")])
    shutil.copytree(built_repo, b)
    m = json.load(open(os.path.join(b, "manifest.json")))
    m["classes"] = list(reversed(m["classes"]))
    json.dump(m, open(os.path.join(b, "manifest.json"), "w"))
    with pytest.raises(SystemExit, match="classes differs"):
        cli.main(["merge", a, b])
