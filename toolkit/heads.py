"""What a model's outputs mean: BlazeFace face detections (anchor decoding and weighted
non-maximum suppression as MediaPipe's face detection graph does it) or a classifier's top-k.

MediaPipe's short-range face detector (mediapipe/modules/face_detection/face_detection.pbtxt and
face_detection_short_range.pbtxt) sets:
- SsdAnchorsCalculator: 128x128 input, strides 8, 16, 16, 16 (layers of equal stride share one grid),
  2 anchors per layer and cell (aspect ratio 1 plus the interpolated scale), offset 0.5,
  fixed_anchor_size (every anchor 1 x 1): 16x16x2 + 8x8x6 = 896 anchor centres;
- TensorsToDetectionsCalculator: 16 values per anchor (x, y, w, h, then 6 keypoints x, y), all in
  input pixels relative to the anchor centre, divided by the scale 128; score = sigmoid of the logit
  clipped to +-100; a detection needs score >= 0.5;
- NonMaxSuppressionCalculator: WEIGHTED, IoU above 0.3: the best remaining detection absorbs every
  remaining one that overlaps it by more than 0.3 IoU (itself included); its box and keypoints become
  their score-weighted mean, its score stays its own.
Boxes here are (xmin, ymin, xmax, ymax) relative to the model input, as MediaPipe's are before its
letterbox removal (`unletterbox` does that step)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLAZEFACE_STRIDES = (8, 16, 16, 16)
BLAZEFACE_SIZE = 128
MIN_SCORE = 0.5
MIN_SUPPRESSION_IOU = 0.3
SCORE_CLIP = 100.0


@dataclass
class Detection:
    box: tuple[float, float, float, float]   # xmin, ymin, xmax, ymax
    score: float
    keypoints: list[tuple[float, float]]      # right eye, left eye, nose tip, mouth, right ear, left ear

    def to_dict(self) -> dict:
        return {"box": [round(v, 6) for v in self.box], "score": round(self.score, 6),
                "keypoints": [[round(x, 6), round(y, 6)] for x, y in self.keypoints]}


def ssd_anchors(size: int = BLAZEFACE_SIZE, strides=BLAZEFACE_STRIDES, per_layer: int = 2) -> np.ndarray:
    """Anchor centres [N, 2] (x, y in [0, 1]) in MediaPipe's order: stride by stride, row by row,
    cell by cell, the anchors of consecutive layers with the same stride together."""
    centres, layer = [], 0
    while layer < len(strides):
        stride, count = strides[layer], 0
        while layer < len(strides) and strides[layer] == stride:
            count += per_layer
            layer += 1
        cells = int(np.ceil(size / stride))
        ys, xs = np.meshgrid((np.arange(cells) + 0.5) / cells, (np.arange(cells) + 0.5) / cells, indexing="ij")
        grid = np.stack([xs.ravel(), ys.ravel()], axis=1)
        centres.append(np.repeat(grid, count, axis=0))
    return np.concatenate(centres)


def iou(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def decode_ssd(regressors: np.ndarray, logits: np.ndarray, anchors: np.ndarray, size: int,
               min_score: float = MIN_SCORE) -> list[Detection]:
    """MediaPipe's SSD decoding (TensorsToDetectionsCalculator) for one image: regressors [A, 4 + 2K]
    (box centre offset, width, height, then K keypoints, in input pixels of `size`) and score logits [A]
    -> detections after weighted NMS, best first, coordinates relative to the input."""
    anchors = np.asarray(anchors)
    reg = np.asarray(regressors, np.float64).reshape(len(anchors), -1) / size
    scores = 1.0 / (1.0 + np.exp(-np.clip(np.asarray(logits, np.float64).ravel(), -SCORE_CLIP, SCORE_CLIP)))
    cx, cy = reg[:, 0] + anchors[:, 0], reg[:, 1] + anchors[:, 1]
    boxes = np.stack([cx - reg[:, 2] / 2, cy - reg[:, 3] / 2, cx + reg[:, 2] / 2, cy + reg[:, 3] / 2], axis=1)
    kps = reg[:, 4:].reshape(len(anchors), -1, 2) + anchors[:, None, :]
    # stable sort: equal scores keep anchor order, as std::sort on MediaPipe's indexed scores may not;
    # ties between distinct boxes at the same score do not occur in practice
    order = [int(i) for i in np.argsort(-scores, kind="stable") if scores[i] >= min_score]
    return weighted_nms(order, boxes, scores, kps)


def decode_blazeface(regressors: np.ndarray, logits: np.ndarray, min_score: float = MIN_SCORE) -> list[Detection]:
    """BlazeFace's regressors [896, 16] and classificator logits [896] (float, one image) -> faces."""
    anchors = ssd_anchors()
    if np.size(regressors) != len(anchors) * 16:
        raise ValueError(f"BlazeFace has {len(anchors)} anchors; the model gives {np.size(regressors) // 16} boxes")
    return decode_ssd(regressors, logits, anchors, BLAZEFACE_SIZE, min_score)


def weighted_nms(order: list[int], boxes: np.ndarray, scores: np.ndarray, kps: np.ndarray,
                 threshold: float = MIN_SUPPRESSION_IOU) -> list[Detection]:
    out = []
    while order:
        best = order[0]
        merged = [i for i in order if iou(boxes[i], boxes[best]) > threshold]
        order = [i for i in order if i not in merged]
        if not merged:       # a degenerate box overlaps nothing, not even itself
            merged = [best]
        w = scores[merged][:, None]
        box = (boxes[merged] * w).sum(axis=0) / w.sum()
        kp = (kps[merged] * w[:, :, None]).sum(axis=0) / w.sum()
        out.append(Detection(tuple(float(v) for v in box), float(scores[best]),
                             [(float(x), float(y)) for x, y in kp]))
    return out


def unletterbox(d: Detection, frame_w: int, frame_h: int, size: int = BLAZEFACE_SIZE) -> Detection:
    """Input-relative coordinates -> frame pixels, undoing the letterbox of toolkit.zoo (the frame
    scaled to fit the square input and centred on black)."""
    from .zoo import letterbox_geometry

    h, w, top, left = letterbox_geometry(frame_h, frame_w, size, size)
    sx, sy = frame_w / w, frame_h / h

    def point(x, y):
        return (x * size - left) * sx, (y * size - top) * sy

    (x0, y0), (x1, y1) = point(*d.box[:2]), point(*d.box[2:])
    return Detection((x0, y0, x1, y1), d.score, [point(x, y) for x, y in d.keypoints])


def top_k(logits: np.ndarray, labels: list[str] | None, k: int = 3) -> list[tuple[str, float]]:
    """A classifier's k best classes with softmax probabilities."""
    z = np.asarray(logits, np.float64).ravel()
    p = np.exp(z - z.max())
    p /= p.sum()
    best = np.argsort(-p, kind="stable")[:k]
    return [(labels[i] if labels and i < len(labels) else f"class {i}", float(p[i])) for i in best]
