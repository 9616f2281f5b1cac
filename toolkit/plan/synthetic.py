"""Shape-only IR graphs of reference networks, for planner tests and benchmarks.

The planner needs shapes, kernels, strides and pads, never weight values, so these builders make
Graphs directly (weights are zero-strided views: no memory). They mirror
- torchvision MobileNetV2-1.0 (BN folded, ReLU6 fused), any input resolution;
- MediaPipe BlazeFace front model at 128x128 (BlazeBlocks with MaxPool + channel Pad skips,
  two heads with Reshape + Concat);
- a small Fashion-MNIST CNN.
Models imported from ONNX (toolkit.importer) are what the toolkit plans for real; these are the
stand-ins that keep planner tests independent of the importer.
"""
from __future__ import annotations

import numpy as np

from toolkit.ir import (ConcatAttrs, ConvAttrs, DType, Graph, Layout, Op, OpKind, PadAttrs,
                        PoolAttrs, Tensor)


class _Builder:
    def __init__(self, name: str, h: int, w: int, c: int):
        self.g = Graph(name)
        self.n = 0
        x = self._tensor((1, h, w, c))
        self.g.inputs.append(x)
        self.cur = x

    def _tensor(self, shape, layout=Layout.SPATIAL, const=False) -> str:
        self.n += 1
        name = f"t{self.n}"
        data = np.broadcast_to(np.int8(0), shape) if const else None
        self.g.tensors[name] = Tensor(name, tuple(shape), DType.INT8, layout, data=data)
        return name

    def shape(self, t=None):
        return self.g.tensors[t or self.cur].shape

    def _op(self, kind, inputs, out_shape, attrs=None, layout=Layout.SPATIAL) -> str:
        out = self._tensor(out_shape, layout)
        self.g.ops.append(Op(f"{kind.value}_{len(self.g.ops)}", kind, inputs, [out], attrs))
        self.cur = out
        return out

    def conv(self, cout, k=1, s=1, depthwise=False, x=None, pad=None):
        x = x or self.cur
        _, h, w, cin = self.shape(x)
        p = (k - 1) // 2 if pad is None else pad
        pads = (p, p, p, p) if isinstance(p, int) else p
        ho = (h + pads[0] + pads[2] - k) // s + 1
        wo = (w + pads[1] + pads[3] - k) // s + 1
        attrs = ConvAttrs((k, k), (s, s), pads, (1, 1))
        if depthwise:
            wt, b = self._tensor((k, k, cin), const=True), self._tensor((cin,), const=True)
            return self._op(OpKind.DEPTHWISE, [x, wt, b], (1, ho, wo, cin), attrs)
        wt, b = self._tensor((cout, k, k, cin), const=True), self._tensor((cout,), const=True)
        return self._op(OpKind.CONV, [x, wt, b], (1, ho, wo, cout), attrs)

    def add(self, a, b):
        return self._op(OpKind.ADD, [a, b], self.shape(a))

    def clamp(self, x=None):
        from toolkit.ir import ClampAttrs
        x = x or self.cur
        return self._op(OpKind.CLAMP, [x], self.shape(x), ClampAttrs(0.0, float("inf")))

    def maxpool(self, k, s, x=None):
        x = x or self.cur
        _, h, w, c = self.shape(x)
        return self._op(OpKind.MAXPOOL, [x], (1, (h - k) // s + 1, (w - k) // s + 1, c), PoolAttrs((k, k), (s, s)))

    def pad_channels(self, extra, x=None):
        x = x or self.cur
        _, h, w, c = self.shape(x)
        return self._op(OpKind.PAD, [x], (1, h, w, c + extra), PadAttrs(((0, 0), (0, 0), (0, 0), (0, extra))))

    def gap(self):
        _, h, w, c = self.shape()
        return self._op(OpKind.AVGPOOL, [self.cur], (1, 1, 1, c), PoolAttrs((h, w), (1, 1)))

    def fc(self, cout):
        cin = int(np.prod(self.shape()))
        flat = self._op(OpKind.RESHAPE, [self.cur], (1, cin), layout=Layout.RAW)
        wt, b = self._tensor((cout, cin), const=True), self._tensor((cout,), const=True)
        return self._op(OpKind.FC, [flat, wt, b], (1, cout), layout=Layout.RAW)

    def reshape(self, shape, x=None):
        return self._op(OpKind.RESHAPE, [x or self.cur], shape, layout=Layout.RAW)

    def concat(self, xs, axis):
        shapes = [self.shape(x) for x in xs]
        out = list(shapes[0])
        out[axis] = sum(s[axis] for s in shapes)
        return self._op(OpKind.CONCAT, xs, tuple(out), ConcatAttrs(axis), layout=Layout.RAW)

    def finish(self, *outputs) -> Graph:
        self.g.outputs.extend(outputs or [self.cur])
        return self.g


def mobilenet_channels(c: int, width: float) -> int:
    """torchvision's _make_divisible(c * width, 8): MobileNetV2's channels at a width multiplier."""
    v = max(8, int(c * width + 4) // 8 * 8)
    return v + 8 if v < 0.9 * c * width else v


def mobilenet_v2(resolution: int = 224, width: float = 1.0, classes: int = 1000) -> Graph:
    """torchvision MobileNetV2 (inverted residuals t,c,n,s as in the paper)."""
    def ch(c):
        return mobilenet_channels(c, width)
    b = _Builder("mobilenetv2", resolution, resolution, 3)
    b.conv(ch(32), 3, 2)
    cin = ch(32)
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                       (6, 160, 3, 2), (6, 320, 1, 1)]:
        cout = ch(c)
        for i in range(n):
            x = b.cur
            stride = s if i == 0 else 1
            if t != 1:
                b.conv(cin * t, 1)
            b.conv(0, 3, stride, depthwise=True)
            b.conv(cout, 1)
            if stride == 1 and cin == cout:
                b.add(x, b.cur)
            cin = cout
    b.conv(ch(1280) if width > 1.0 else 1280, 1)
    b.gap()
    b.fc(classes)
    return b.finish()


def blazeface(resolution: int = 128) -> Graph:
    """MediaPipe BlazeFace front model: 5x5 stem, BlazeBlocks (dw 3x3 + pw, residual; stride-2
    blocks skip through MaxPool 2x2 and a channel Pad), heads at 16x16 (2 anchors) and 8x8 (6)."""
    b = _Builder("blazeface", resolution, resolution, 3)
    b.conv(24, 5, 2, pad=(1, 1, 2, 2))

    def block(cout, stride=1):
        x = b.cur
        cin = b.shape(x)[-1]
        pad = (0, 0, 2, 2) if stride == 2 else 1
        b.conv(0, 3, stride, depthwise=True, pad=pad)
        y = b.conv(cout, 1)
        if stride == 2:
            x = b.maxpool(2, 2, x)
        if cout > cin:
            x = b.pad_channels(cout - cin, x)
        b.add(x, y)
        return b.clamp()

    for c, s in [(24, 1), (28, 1), (32, 2), (36, 1), (42, 1), (48, 2), (56, 1), (64, 1), (72, 1), (80, 1), (88, 1)]:
        block(c, s)
    f16 = b.cur
    for c, s in [(96, 2), (96, 1), (96, 1), (96, 1), (96, 1)]:
        block(c, s)
    f8 = b.cur
    cls16 = b.reshape((1, 512, 1), b.conv(2, 1, x=f16))
    cls8 = b.reshape((1, 384, 1), b.conv(6, 1, x=f8))
    reg16 = b.reshape((1, 512, 16), b.conv(32, 1, x=f16))
    reg8 = b.reshape((1, 384, 16), b.conv(96, 1, x=f8))
    scores = b.concat([cls16, cls8], 1)
    boxes = b.concat([reg16, reg8], 1)
    return b.finish(boxes, scores)


def fashion_cnn() -> Graph:
    """conv3x3(16)-pool-conv3x3(32)-pool-fc(10) on 28x28x1."""
    b = _Builder("fashion_cnn", 28, 28, 1)
    b.conv(16, 3)
    b.maxpool(2, 2)
    b.conv(32, 3)
    b.maxpool(2, 2)
    b.fc(10)
    return b.finish()


SYNTHETIC = {"mobilenetv2": mobilenet_v2, "blazeface": blazeface, "fashion_cnn": fashion_cnn}
