#!/usr/bin/env python3
"""Train the fashion_cnn sample on Debian's dataset-fashion-mnist and export it to ONNX.

    python models/fashion_cnn/train.py [--epochs 4] [--out models/fashion_cnn/model.onnx]

Deterministic (fixed seed, 2 threads). Needs: torch (CPU), numpy, onnx, and the Debian
package dataset-fashion-mnist (apt-get install dataset-fashion-mnist).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA_DIR = Path("/usr/share/datasets/fashion-mnist")
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def load_idx(split: str) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST split ('train' or 't10k') -> (uint8 [N,28,28], uint8 [N])."""
    img_p = DATA_DIR / f"{split}-images-idx3-ubyte.gz"
    lab_p = DATA_DIR / f"{split}-labels-idx1-ubyte.gz"
    if not img_p.exists() or not lab_p.exists():
        sys.exit(f"error: {img_p} not found. Install it: apt-get install -y dataset-fashion-mnist "
                 f"(scripts/setup.sh does this)")
    with gzip.open(img_p, "rb") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(lab_p, "rb") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    return images.copy(), labels.copy()


def make_model():
    import torch.nn as nn

    def cbr(cin, cout, k=3, s=1, groups=1, relu=True):
        layers = [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
        if relu:
            layers.append(nn.ReLU())
        return layers

    class InvertedResidual(nn.Module):
        def __init__(self, c, expand):
            super().__init__()
            h = c * expand
            self.conv = nn.Sequential(*cbr(c, h, 1), *cbr(h, h, 3, groups=h), *cbr(h, c, 1, relu=False))

        def forward(self, x):
            return x + self.conv(x)

    class FashionCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                *cbr(1, 16, 3, 1),              # 28x28x16   conv3x3 + ReLU
                nn.MaxPool2d(2),                # 14x14x16   maxpool 2x2
                *cbr(16, 16, 3, groups=16),     # depthwise 3x3 + ReLU
                *cbr(16, 32, 1),                # pointwise 1x1 + ReLU
                InvertedResidual(32, 2),        # 1x1 expand, dw3x3, 1x1 project, residual Add
                *cbr(32, 64, 3, 2),             # 7x7x64     conv3x3 stride 2 + ReLU
                InvertedResidual(64, 2),
            )
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.flatten = nn.Flatten()
            self.fc = nn.Linear(64, 10)

        def forward(self, x):
            return self.fc(self.flatten(self.pool(self.features(x))))

    return FashionCNN()


def fold_batchnorm(model):
    """Fold every Conv2d+BatchNorm2d pair into the conv (so the ONNX graph has no BN)."""
    import torch
    import torch.nn as nn

    def fold_seq(seq: nn.Sequential):
        mods = list(seq)
        out = []
        i = 0
        while i < len(mods):
            m = mods[i]
            if isinstance(m, nn.Conv2d) and i + 1 < len(mods) and isinstance(mods[i + 1], nn.BatchNorm2d):
                bn = mods[i + 1]
                scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                conv = nn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding,
                                 groups=m.groups, bias=True)
                conv.weight.data = m.weight.data * scale.reshape(-1, 1, 1, 1)
                b = m.bias.data if m.bias is not None else torch.zeros_like(bn.running_mean)
                conv.bias.data = (b - bn.running_mean) * scale + bn.bias
                out.append(conv)
                i += 2
                continue
            if isinstance(m, nn.Sequential):
                fold_seq(m)
            elif hasattr(m, "conv") and isinstance(m.conv, nn.Sequential):
                fold_seq(m.conv)
            out.append(m)
            i += 1
        for k in list(seq._modules):
            del seq._modules[k]
        for j, m in enumerate(out):
            seq.add_module(str(j), m)

    with torch.no_grad():
        fold_seq(model.features)
    return model


def normalise(x_uint8):
    import torch

    return (torch.from_numpy(x_uint8).float().unsqueeze(1) / 255.0 - 0.5) / 0.5


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=HERE / "model.onnx")
    args = ap.parse_args()

    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        sys.exit("error: torch is not installed; run scripts/setup.sh (installs torch into .venv)")

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)

    xtr, ytr = load_idx("train")
    xte, yte = load_idx("t10k")
    print(f"[fashion_cnn] train {xtr.shape} test {xte.shape}", flush=True)
    model = make_model()
    nparams = sum(p.numel() for p in model.parameters())
    print(f"[fashion_cnn] params {nparams}", flush=True)

    xt = normalise(xtr)
    yt = torch.from_numpy(ytr.astype(np.int64))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    steps = args.epochs * ((len(xt) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    gen = torch.Generator().manual_seed(args.seed)
    t0 = time.time()
    for ep in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xt), generator=gen)
        total = 0.0
        for i in range(0, len(xt), args.batch):
            idx = perm[i : i + args.batch]
            xb = xt[idx]
            # light augmentation: random horizontal flip (clothes are left/right symmetric)
            flip = torch.rand(len(idx), generator=gen) < 0.5
            xb = torch.where(flip.view(-1, 1, 1, 1), xb.flip(3), xb)
            loss = F.cross_entropy(model(xb), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        model.eval()
        with torch.no_grad():
            pred = torch.cat([model(normalise(xte[j : j + 1000])).argmax(1) for j in range(0, len(xte), 1000)])
        acc = (pred.numpy() == yte).mean()
        print(f"[fashion_cnn] epoch {ep + 1}/{args.epochs} loss {total / len(xt):.4f} "
              f"test acc {acc:.4f} ({time.time() - t0:.0f} s)", flush=True)

    model.eval()
    fold_batchnorm(model)
    with torch.no_grad():
        pred = torch.cat([model(normalise(xte[j : j + 1000])).argmax(1) for j in range(0, len(xte), 1000)])
    acc = float((pred.numpy() == yte).mean())
    print(f"[fashion_cnn] folded-BN test acc {acc:.4f}", flush=True)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    dummy = torch.zeros(1, 1, 28, 28)
    torch.onnx.export(model, dummy, str(args.out), input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      opset_version=13, dynamo=False, do_constant_folding=True)
    import onnx

    m = onnx.load(str(args.out))
    onnx.checker.check_model(m)
    ops = sorted({n.op_type for n in m.graph.node})
    print(f"[fashion_cnn] wrote {args.out} ({args.out.stat().st_size} bytes), ops {ops}", flush=True)
    (args.out.parent / "train_result.json").write_text(json.dumps(
        {"params": nparams, "epochs": args.epochs, "seed": args.seed, "torch": torch.__version__,
         "test_accuracy_torch": acc, "train_seconds": round(time.time() - t0, 1)}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
