"""tinyML deployment toolkit: ONNX -> int8 -> patch-based plan -> C engine -> board."""

__version__ = "0.1.0"
