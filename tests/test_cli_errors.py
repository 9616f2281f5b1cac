"""Bad input through the real `toolkit` command: one line on stderr naming what is wrong, exit
status 2, never a traceback."""
from __future__ import annotations

import subprocess
import sys

import pytest

from engine_cases import int8_path
from toolkit import zoo


@pytest.fixture(scope="module")
def model() -> str:
    return str(int8_path(zoo.SAMPLES["fashion_cnn"]))


def toolkit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "toolkit", *args], capture_output=True, text=True, timeout=300)


def assert_one_line_error(res: subprocess.CompletedProcess, *expected: str) -> None:
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    for text in expected:
        assert text in lines[0], lines[0]


def test_empty_image_folder(tmp_path, model):
    (tmp_path / "empty").mkdir()
    res = toolkit("deploy", "--board", "host", "--model", model, "--images", str(tmp_path / "empty"),
                  "--build-dir", str(tmp_path / "b"))
    assert_one_line_error(res, "test images: no images in", str(tmp_path / "empty"))


def test_missing_image_folder(tmp_path, model):
    res = toolkit("deploy", "--board", "host", "--model", model, "--images", str(tmp_path / "nowhere"),
                  "--build-dir", str(tmp_path / "b"))
    assert_one_line_error(res, str(tmp_path / "nowhere"), "does not exist")


def test_a_file_that_is_not_an_image(tmp_path, model):
    folder = tmp_path / "imgs"
    folder.mkdir()
    (folder / "notes.png").write_text("not a picture\n")
    res = toolkit("deploy", "--board", "host", "--model", model, "--images", str(folder),
                  "--build-dir", str(tmp_path / "b"))
    assert_one_line_error(res, "cannot read image", str(folder / "notes.png"))


@pytest.mark.parametrize("args,expected", [
    (["--split", "nosuch"], "nosuch"),
    (["--patches", "40"], "40"),
    (["--patches", "2y"], "--patches takes N, RxC or auto"),
    (["--budget", "1000"], "over budget"),
], ids=["split", "patches-too-many", "patches-syntax", "budget"])
def test_bad_schedule_options(tmp_path, model, args, expected):
    res = toolkit("deploy", "--board", "host", "--model", model, "--limit", "2", *args,
                  "--build-dir", str(tmp_path / "b"))
    assert_one_line_error(res, expected)
    assert not (tmp_path / "b" / "pio").exists()  # refused before building


def test_real_board_without_a_probe_is_refused(tmp_path, model):
    res = toolkit("deploy", "--board", "nucleo-f746zg", "--model", model, "--build-dir", str(tmp_path / "b"))
    assert_one_line_error(res, "nucleo-f746zg", "--emulate")


def test_unknown_model(tmp_path):
    assert_one_line_error(toolkit("deploy", "--model", str(tmp_path / "no.onnx")), "model not found")
