"""`toolkit demo`: BlazeFace decoding as MediaPipe does it, frame sources, and the demo itself on
the emulated F746 over a real video with faces (models/blazeface/build.py: real photos moving and
scaling), headless, in a window under Xvfb, interrupted, and with the link lost. The boxes drawn
are checked against onnxruntime's output (literal QDQ) on the same frames."""
from __future__ import annotations

import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import psutil
import pytest

from test_cli_errors import assert_one_line_error, toolkit
from toolkit import heads, zoo
from toolkit.demo import WINDOW
from toolkit.importer import load_graph
from toolkit.reference import run_literal

BLAZEFACE = zoo.SAMPLES["blazeface"]
CI_FRAMES = 3          # frames per emulated run in CI; the nightly test runs the whole video
ASTRONAUT_FACE = (175, 60, 275, 180)   # the face in skimage's astronaut photo, by eye


def video() -> Path:
    path = BLAZEFACE.cache / "faces.avi"
    if not path.exists():
        BLAZEFACE.build()
    return path


def demo_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "toolkit", "demo", "--board", "nucleo-f746zg", "--emulate", *args]


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory) -> Path:
    """One firmware build for every emulated demo run of the module (PlatformIO rebuilds nothing)."""
    return tmp_path_factory.mktemp("demo-build")


def qemu_processes(parent: psutil.Process | None = None) -> set[psutil.Process]:
    procs = parent.children(recursive=True) if parent else psutil.process_iter()
    found = set()
    for p in procs:
        try:
            if p.name().startswith("qemu-system"):
                found.add(p)
        except psutil.NoSuchProcess:
            pass
    return found


@pytest.fixture
def no_qemu_left(build_dir):
    """No emulator started by the test outlives it: none left running this module's firmware (a
    QEMU of anything else on the machine, say another checkout's tests, is not the demo's)."""
    def ours() -> set[psutil.Process]:
        found = set()
        for p in qemu_processes():
            try:
                if str(build_dir) in " ".join(p.cmdline()):
                    found.add(p)
            except psutil.NoSuchProcess:
                pass
        return found

    before = ours()
    yield
    left = ours() - before
    assert not left, f"QEMU still running: {left}"


def assert_error_line(res: subprocess.CompletedProcess, *expected: str) -> None:
    """Exit 2, no traceback, and the run's last word on stderr is one `error:` line."""
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    errors = [line for line in res.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and res.stderr.strip().endswith(errors[0]), res.stderr
    for text in expected:
        assert text in errors[0], errors[0]


# ------------------------------------------------------------------ decoding (no board)


def test_anchors_follow_mediapipe_order():
    a = heads.ssd_anchors()
    assert a.shape == (896, 2)
    # stride 8: 16x16 cells, 2 anchors each, row by row
    assert np.allclose(a[0], [1 / 32, 1 / 32]) and np.allclose(a[1], a[0]) and np.allclose(a[2], [3 / 32, 1 / 32])
    assert np.allclose(a[32], [1 / 32, 3 / 32])
    # strides 16 (three layers): 8x8 cells, 6 anchors each
    assert np.allclose(a[512:518], [[1 / 16, 1 / 16]] * 6) and np.allclose(a[518], [3 / 16, 1 / 16])
    assert np.allclose(a[-1], [15 / 16, 15 / 16])


def test_weighted_nms_merges_overlaps_by_score_and_keeps_the_best_score():
    boxes = np.array([[0.0, 0.0, 1.0, 1.0], [0.1, 0.0, 1.1, 1.0], [2.0, 2.0, 3.0, 3.0]])
    scores = np.array([0.9, 0.6, 0.7])
    kps = np.zeros((3, 6, 2))
    kps[1] += 1.0
    dets = heads.weighted_nms([0, 2, 1], boxes, scores, kps)
    assert len(dets) == 2
    assert dets[0].score == 0.9 and np.allclose(dets[0].box, [0.04, 0.0, 1.04, 1.0])   # (0*.9 + .1*.6)/1.5
    assert np.allclose(dets[0].keypoints, [(0.4, 0.4)] * 6)
    assert dets[1].score == 0.7 and np.allclose(dets[1].box, boxes[2])


def test_letterbox_and_its_inverse():
    frame = np.zeros((240, 320, 3), np.uint8)
    frame[100:140, 150:170] = 255
    pp = BLAZEFACE.preprocess
    x = zoo.preprocess_image(frame, pp)
    assert x.shape == (3, 128, 128)
    assert np.all(x[:, :16] == -1.0) and np.all(x[:, -16:] == -1.0)   # 128x96 content centred on black
    h, w, top, left = zoo.letterbox_geometry(240, 320, 128, 128)
    assert (h, w, top, left) == (96, 128, 16, 0)
    d = heads.Detection(((150 * 0.4 + left) / 128, (100 * 0.4 + top) / 128, (170 * 0.4 + left) / 128,
                         (140 * 0.4 + top) / 128), 0.9, [((160 * 0.4 + left) / 128, (120 * 0.4 + top) / 128)])
    back = heads.unletterbox(d, 320, 240)
    assert np.allclose(back.box, (150, 100, 170, 140)) and np.allclose(back.keypoints, [(160, 120)])


def test_float_blazeface_finds_the_astronaut():
    import onnxruntime as ort
    from skimage import data

    img = data.astronaut()
    sess = ort.InferenceSession(str(BLAZEFACE.onnx_path()), providers=["CPUExecutionProvider"])
    reg, logits = sess.run(["regressors", "classificators"], {"input": zoo.preprocess_image(img, BLAZEFACE.preprocess)[None]})
    dets = [heads.unletterbox(d, 512, 512) for d in heads.decode_blazeface(reg[0], logits[0])]
    assert len(dets) == 1 and dets[0].score > 0.8
    assert heads.iou(dets[0].box, ASTRONAUT_FACE) > 0.6, dets[0].box


# ------------------------------------------------------------------ sources (fail before any build)


def test_sources_that_cannot_be_opened(tmp_path):
    assert_one_line_error(toolkit("demo", "--source", "camera:7"), "camera:7", "no camera")
    assert_one_line_error(toolkit("demo", "--source", f"video:{tmp_path / 'none.mp4'}"), "no such file")
    (tmp_path / "bad.mp4").write_text("not a video")
    assert_one_line_error(toolkit("demo", "--source", f"video:{tmp_path / 'bad.mp4'}"), "bad.mp4", "cannot decode")
    assert_one_line_error(toolkit("demo", "--source", f"images:{tmp_path}"), "no images")
    assert_one_line_error(toolkit("demo", "--source", "webcam"), "camera:N, video:PATH or images:DIR")


# ------------------------------------------------------------------ on the emulated board


def reference_faces(build: Path, frames: list[int]) -> dict[int, list[heads.Detection]]:
    """onnxruntime (literal QDQ) on the demo's int8 model and the same video frames, decoded the same way."""
    import cv2

    from toolkit.demo import float_outputs
    from toolkit.firmware import Int8Model

    qpath = build / "model.int8.onnx"
    g = load_graph(qpath)
    m = Int8Model("blazeface", BLAZEFACE, qpath, g, BLAZEFACE.preprocess, BLAZEFACE.input_name)
    cap = cv2.VideoCapture(str(video()))
    rgb = []
    while len(rgb) <= max(frames):
        ok, frame = cap.read()
        assert ok, "the video ended early"
        rgb.append(frame[:, :, ::-1])
    x = np.stack([zoo.preprocess_image(rgb[i], m.preprocess) for i in frames])
    ort = run_literal(onnx.load(qpath), g, {m.input_name: x})
    faces = {}
    for j, i in enumerate(frames):
        f = float_outputs(m, {n: ort[n][j] for n in g.outputs})
        faces[i] = [heads.unletterbox(d, rgb[i].shape[1], rgb[i].shape[0])
                    for d in heads.decode_blazeface(f["regressors"], f["classificators"])]
    return faces


def check_against_onnxruntime(result: dict, build: Path) -> int:
    frames = [f["index"] for f in result["per_frame"]]
    ref = reference_faces(build, frames)
    n = 0
    for f in result["per_frame"]:
        want = ref[f["index"]]
        assert len(f["faces"]) == len(want), f"frame {f['index']}: {len(f['faces'])} faces drawn, onnxruntime {len(want)}"
        for d in want:
            best = max(heads.iou(d.box, g["box"]) for g in f["faces"])
            assert best > 0.9, f"frame {f['index']}: box {d.box} from onnxruntime matches no drawn box (IoU {best:.2f})"
        n += len(want)
    return n


def check_drawn(video_path: Path, result: dict) -> None:
    """The video decodes, has every frame, and each face's box is drawn (green) where the JSON says."""
    import cv2

    cap = cv2.VideoCapture(str(video_path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame[:, :, ::-1])
    assert len(frames) == result["frames"] and frames[0].shape[:2] == (480, 640)
    for f in result["per_frame"]:
        for face in f["faces"]:
            x0, y0, x1, _ = (int(round(v * 2)) for v in face["box"])   # drawn on a 2x copy of 320x240
            edge = frames[f["index"]][y0, max(x0, 0) + 3:min(x1, 639) - 3].astype(int)
            r, g, b = np.median(edge, axis=0)
            assert g > 150 and r < 100 and b < 100, f"frame {f['index']}: no green box edge at y={y0} ({r}, {g}, {b})"


def test_headless_demo_matches_onnxruntime(tmp_path, build_dir, no_qemu_left):
    out = tmp_path / "annotated.mp4"
    res = subprocess.run(demo_command("--source", f"video:{video()}", "--frames", str(CI_FRAMES), "--no-window",
                                      "--out", str(out), "--build-dir", str(build_dir)),
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr
    assert f"stopped: {CI_FRAMES} frames shown" in res.stderr.replace("\n", " ")
    result = json.loads(out.with_suffix(".json").read_text())
    assert result["frames"] == CI_FRAMES and result["latency_unit"] == "instructions"
    assert result["bytes_per_frame"] == 128 * 128 * 3 + 896 * 16 + 896
    assert 200_000 < result["peak_sram_bytes"] <= 327_680
    assert check_against_onnxruntime(result, build_dir) >= CI_FRAMES   # faces there to compare
    check_drawn(out, result)
    from PIL import Image
    with Image.open(out.with_suffix(".gif")) as gif:
        assert gif.n_frames == CI_FRAMES and gif.width == 320


@pytest.mark.nightly
def test_whole_video_matches_onnxruntime(tmp_path, build_dir):
    out = tmp_path / "annotated.mp4"
    res = subprocess.run(demo_command("--source", f"video:{video()}", "--no-window", "--out", str(out),
                                      "--build-dir", str(build_dir)), capture_output=True, text=True, timeout=1800)
    assert res.returncode == 0, res.stderr
    result = json.loads(out.with_suffix(".json").read_text())
    assert result["reason"].startswith("end of video")
    check_against_onnxruntime(result, build_dir)
    check_drawn(out, result)


@pytest.fixture
def xvfb():
    """A virtual X display of our own (Xvfb picks a free number)."""
    assert shutil.which("Xvfb"), "Xvfb is missing: scripts/setup.sh installs it (apt package xvfb)"
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as f:
        display = ":" + f.readline().strip()
    try:
        yield display
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def best_match(screen: np.ndarray, frame: np.ndarray) -> float:
    import cv2

    return float(cv2.matchTemplate(screen, frame, cv2.TM_CCOEFF_NORMED).max())


def demo_windows(display: str) -> list[str]:
    """The demo's windows on `display` with their geometry (xdotool), for a failure message."""
    run = functools.partial(subprocess.run, env=dict(os.environ, DISPLAY=display), capture_output=True, text=True,
                            timeout=10)
    ids = run(["xdotool", "search", "--name", WINDOW]).stdout.split()
    return [run(["xdotool", "getwindowgeometry", i]).stdout.replace("\n", " ").strip() for i in ids]


def test_window_shows_the_annotated_frame_and_q_quits(tmp_path, build_dir, xvfb, no_qemu_left):
    from PIL import Image, ImageGrab

    out = tmp_path / "frames"
    # Qt on X11 whatever the environment says (a CI's QT_QPA_PLATFORM=offscreen draws nothing on screen)
    proc = subprocess.Popen(demo_command("--source", f"video:{video()}", "--window", "--out", str(out),
                                         "--build-dir", str(build_dir)),
                            env=dict(os.environ, DISPLAY=xvfb, QT_QPA_PLATFORM="xcb"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    shot = frame = None
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and proc.poll() is None and frame is None:
            if (out / "frame_00000.png").exists():
                time.sleep(0.5)   # the file is complete once the window has been asked to draw it
                frame = np.asarray(Image.open(out / "frame_00000.png").convert("RGB"))
            time.sleep(0.2)
        assert frame is not None, f"no frame shown: {proc.stderr.read() if proc.poll() is not None else 'still running'}"
        # the window is drawn by Qt's event loop, which a loaded machine may run a few seconds late
        drawn = time.monotonic() + 30
        while True:
            shot = np.asarray(ImageGrab.grab(xdisplay=xvfb).convert("RGB"))
            if best_match(shot, frame) > 0.95 or time.monotonic() > drawn or proc.poll() is not None:
                break
            time.sleep(0.5)
        assert best_match(shot, frame) > 0.95, (f"the window does not show the annotated frame; demo "
                                                f"{'running' if proc.poll() is None else 'ended'}, windows "
                                                f"named {WINDOW!r} on {xvfb}: {demo_windows(xvfb) or 'none'}")
        assert best_match(shot, np.ascontiguousarray(frame[:, ::-1])) < best_match(shot, frame)
        subprocess.run(["xdotool", "mousemove", "100", "100", "key", "q"], env=dict(os.environ, DISPLAY=xvfb),
                       check=True, timeout=10)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:   # SIGTERM first: the demo stops its QEMU on the way out
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0, err
    assert "stopped: quit from the window" in err
    assert len(list(out.glob("frame_*.png"))) < 30


def run_and_interrupt(tmp_path, build_dir, action) -> tuple[subprocess.CompletedProcess, float, dict | None]:
    """Start the demo on the whole video, wait for its first frame, `action(proc, qemu)`; returns
    (the finished process, seconds from the action to its end, its JSON)."""
    out = tmp_path / "frames"
    proc = subprocess.Popen(demo_command("--source", f"video:{video()}", "--no-window", "--out", str(out),
                                         "--build-dir", str(build_dir)), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 600
        while not (out / "frame_00000.png").exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.1)
        qemu = qemu_processes(psutil.Process(proc.pid))
        assert len(qemu) == 1
        time.sleep(1.0)   # into the second frame's transfer
        t0 = time.monotonic()
        action(proc, next(iter(qemu)))
        stdout, stderr = proc.communicate(timeout=60)
        seconds = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    json_path = out / "demo.json"
    return (subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr), seconds,
            json.loads(json_path.read_text()) if json_path.exists() else None)


def test_ctrl_c_finishes_the_frame_and_stops_cleanly(tmp_path, build_dir, no_qemu_left):
    res, seconds, result = run_and_interrupt(tmp_path, build_dir, lambda proc, qemu: proc.send_signal(signal.SIGINT))
    assert res.returncode == 0, res.stderr
    assert "stopped: interrupted (Ctrl-C)" in res.stderr and "Traceback" not in res.stderr
    assert result["frames"] == 2, "the frame in flight is finished, then the demo stops"


def test_lost_link_ends_with_one_line(tmp_path, build_dir, no_qemu_left):
    res, seconds, result = run_and_interrupt(tmp_path, build_dir, lambda proc, qemu: qemu.kill())
    assert_error_line(res, "link lost after ", "127.0.0.1")
    # the kill lands a second into the run: after the first frame or two, by the machine's speed;
    # the message and the JSON count the same frames
    done = int(re.search(r"link lost after (\d+) frames?:", res.stderr).group(1))
    assert seconds < 30, f"took {seconds:.0f} s to notice"
    assert result is not None and result["frames"] == done >= 1 and result["reason"].startswith("link lost")


def test_classifier_demo_on_the_host_draws_the_top_classes(tmp_path):
    """A folder of images through fashion_cnn on the host board: the top class shown is
    onnxruntime's (literal QDQ) on the same image, with the sample's class names."""
    from PIL import Image

    from toolkit.demo import float_outputs
    from toolkit.firmware import Int8Model

    sample = zoo.SAMPLES["fashion_cnn"]
    data = np.load(sample.test_dir() / "test.npz")
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(4):
        Image.fromarray(data["images"][i]).save(folder / f"img_{i}.png")
    out, build = tmp_path / "out", tmp_path / "build"
    res = subprocess.run([sys.executable, "-m", "toolkit", "demo", "--board", "host", "--model", "fashion_cnn",
                          "--source", f"images:{folder}", "--no-window", "--out", str(out), "--build-dir", str(build)],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    result = json.loads((out / "demo.json").read_text())
    assert result["frames"] == 4 and result["reason"] == f"end of images {folder}"
    assert len(list(out.glob("frame_*.png"))) == 4
    names = (sample.folder / "classes.txt").read_text().split("\n")
    qpath = build / "model.int8.onnx"
    g = load_graph(qpath)
    m = Int8Model("fashion_cnn", sample, qpath, g, sample.preprocess, sample.input_name)
    x = np.stack([zoo.preprocess_image(data["images"][i], sample.preprocess) for i in range(4)])
    ort = run_literal(onnx.load(qpath), g, {m.input_name: x})
    for i, f in enumerate(result["per_frame"]):
        logits = next(iter(float_outputs(m, {n: ort[n][i] for n in g.outputs}).values()))
        assert f["top_k"][0][0] == names[int(np.argmax(logits))], f"image {i}"
        assert len(f["top_k"]) == 3 and f["top_k"][0][1] >= f["top_k"][1][1] >= f["top_k"][2][1]
