#!/usr/bin/env python3
"""Build the fashion_cnn sample's image sets (and, with --force, retrain the model).

    python models/fashion_cnn/build.py [--force]

The trained model (176 KB) is committed as models/fashion_cnn/model.onnx; --force reruns
train.py (deterministic, about 2 minutes on 2 cores) to regenerate it.
Image sets come from Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist):
  <cache>/models/fashion_cnn/test/test.npz         the official 10,000 test images
                                                   (images uint8 [N,28,28], labels uint8 [N])
  <cache>/models/fashion_cnn/calibration/*.png     200 training images (20 per class, the first
                                                   of each class in file order) + labels.json
Idempotent: skips outputs that already exist.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))
from toolkit import zoo  # noqa: E402
from train import CLASSES, load_idx  # noqa: E402

PER_CLASS = 20


def log(msg: str) -> None:
    print(f"[fashion_cnn] {msg}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--force", action="store_true", help="retrain the model and rebuild the image sets")
    args = ap.parse_args()
    sample = zoo.SAMPLES["fashion_cnn"]
    cache = sample.cache
    model = sample.folder / "model.onnx"
    if args.force or not model.exists():
        log("training (train.py)")
        subprocess.run([sys.executable, str(HERE / "train.py"), "--out", str(model)], check=True)
    else:
        log(f"model exists: {model} (use --force to retrain)")

    calib, test = cache / "calibration", cache / "test"
    if calib.is_dir() and test.is_dir() and not args.force:
        log("image sets exist, skipping")
        return 0
    xtr, ytr = load_idx("train")
    xte, yte = load_idx("t10k")
    imgs, labels = {}, {}
    for c in range(10):
        for i in np.flatnonzero(ytr == c)[:PER_CLASS]:
            name = f"train_{i:05d}_c{c}.png"
            imgs[name], labels[name] = xtr[i], int(c)
    zoo.write_image_set(calib, imgs, labels)
    tmp = test.with_name("test.partial")
    tmp.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(tmp / "test.npz", images=xte, labels=yte)
    (tmp / "classes.txt").write_text("\n".join(CLASSES) + "\n")
    if test.exists():
        import shutil

        shutil.rmtree(test)
    tmp.rename(test)
    log(f"calibration: {len(imgs)} PNGs in {calib}; test: {len(xte)} images in {test / 'test.npz'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
