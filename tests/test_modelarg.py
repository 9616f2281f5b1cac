"""What deploy's preprocessing options mean for a model the user brings (toolkit.modelarg)."""
from __future__ import annotations

import numpy as np
import pytest

from toolkit import zoo
from toolkit.errors import ToolkitError
from toolkit.ir import DType, Graph, Tensor
from toolkit.modelarg import preprocess_for


def user_graph() -> Graph:
    return Graph("mine", {"x": Tensor("x", (1, 6, 8, 3), DType.INT8)}, inputs=["x"], float_inputs={"x": "image"})


def test_defaults_for_a_users_model():
    pp, name = preprocess_for(user_graph(), None)
    assert name == "image" and (pp.height, pp.width, pp.channels) == (6, 8, 3)
    assert pp.mean == (0.0,) * 3 and pp.std == (1.0,) * 3 and not pp.bgr and pp.resize == "stretch"


def test_mean_std_bgr_change_the_input():
    img = np.zeros((6, 8, 3), np.uint8)
    img[..., 0], img[..., 2] = 255, 51  # red 1.0, blue 0.2
    pp, _ = preprocess_for(user_graph(), None, mean="0.5", std="0.5,0.25,0.5", bgr=True)
    x = zoo.preprocess_image(img, pp)  # [C, H, W]
    assert np.allclose(x[:, 0, 0], [(0.2 - 0.5) / 0.5, (0.0 - 0.5) / 0.25, (1.0 - 0.5) / 0.5])


@pytest.mark.parametrize("option,value", [("mean", "a,b,c"), ("mean", "0.1,0.2"), ("std", "0")])
def test_bad_values_are_one_line_errors(option, value):
    with pytest.raises(ToolkitError, match=f"--{option}"):
        preprocess_for(user_graph(), None, **{option: value})
