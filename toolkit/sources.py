"""Where the demo's frames come from: `camera:N`, `video:PATH` or `images:DIR`, read with OpenCV.
Every source yields RGB uint8 frames and says what it is; one that cannot be opened fails before
anything is built, naming the device, file or folder."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from .errors import ToolkitError

# read when cv2 loads: OpenCV's and FFmpeg's own logs stay quiet, our errors say it in one line
os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp")


@dataclass
class Source:
    kind: str          # camera, video, images
    where: str
    fps: float | None  # the source's own rate (a video's, a camera's), None for images
    _capture: object = None
    _files: list[Path] | None = None

    def describe(self) -> str:
        return f"{self.kind} {self.where}"

    def frames(self) -> Iterator[np.ndarray]:
        if self._files is not None:
            for path in self._files:
                yield read_image(path)
            return
        while True:
            ok, frame = self._capture.read()
            if not ok:
                return
            yield np.ascontiguousarray(frame[:, :, ::-1])

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()


def read_image(path: Path) -> np.ndarray:
    import cv2

    frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if frame is None:
        raise ToolkitError(f"cannot read image {path} (not an image OpenCV can decode)")
    return np.ascontiguousarray(frame[:, :, ::-1])


def open_source(spec: str) -> Source:
    """`camera:0`, `video:clip.mp4`, `images:folder/`."""
    import cv2

    kind, sep, where = spec.partition(":")
    if not sep or kind not in ("camera", "video", "images") or not where:
        raise ToolkitError(f"--source takes camera:N, video:PATH or images:DIR, not {spec!r}")
    if kind == "images":
        folder = Path(where)
        if not folder.is_dir():
            raise ToolkitError(f"images:{where}: no such folder")
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise ToolkitError(f"images:{where}: no images in it ({', '.join(IMAGE_SUFFIXES)})")
        return Source(kind, where, None, _files=files)
    if kind == "camera":
        try:
            index = int(where)
        except ValueError:
            raise ToolkitError(f"camera:{where}: give the camera's index, e.g. camera:0") from None
        capture = cv2.VideoCapture(index)
        if not capture.isOpened():
            raise ToolkitError(f"camera:{index}: no camera there (OpenCV could not open /dev/video{index})")
    else:
        if not Path(where).is_file():
            raise ToolkitError(f"video:{where}: no such file")
        capture = cv2.VideoCapture(where)
        if not capture.isOpened():
            raise ToolkitError(f"video:{where}: OpenCV cannot decode it")
    fps = capture.get(cv2.CAP_PROP_FPS) or None
    return Source(kind, where, fps, _capture=capture)
