"""`toolkit demo`: a live feed through the board. Frames from a camera, a video or a folder are
preprocessed and quantized on the host with the model's own preprocessing, streamed to the board
(or its emulated stand-in) over the serial protocol with the same client as `toolkit deploy`, and
the board's int8 outputs are decoded on the host (toolkit/heads.py) and drawn with the board's
figures: latency, link time, frame rate, measured SRAM.

It ends on the end of the source, `--frames`, q or Esc in the window, Ctrl-C (the frame in flight
is finished first, so the board is left ready for the next command; a second Ctrl-C stops at
once) or a lost link, each with a one-line reason. The emulator is stopped on every path."""
from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import golden, heads, zoo
from .build import REPO
from .client import LinkError
from .deploy import infer_image, measured_memory
from .errors import ToolkitError
from .firmware import Firmware, Int8Model, build_firmware, check_firmware, prepare_model
from .ir import to_onnx_layout
from .modelarg import resolve_model
from .sources import open_source
from .targets import get_target

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov")
GIF_FRAMES = 24
GIF_WIDTH = 320
MIN_DRAW_WIDTH = 640
WINDOW = "toolkit demo"
GREEN, WHITE, BLACK, YELLOW = (0, 220, 0), (255, 255, 255), (0, 0, 0), (255, 220, 0)   # RGB


@dataclass
class DemoResult:
    frames: int
    reason: str
    board: str
    emulated: bool
    model: str
    fps: float | None
    latency_unit: str
    latency_median: float | None
    transfer_seconds_median: float | None
    bytes_per_frame: int        # the tensors: inputs + outputs
    peak_sram_bytes: int | None
    out: str | None
    gif: str | None
    per_frame: list = field(default_factory=list)   # index, latency, transfer_s, infer_s, link_bytes (frames,
                                                    # both ways, STATS excluded), faces or top_k

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def float_outputs(m: Int8Model, outs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The board's int8 outputs (IR names and layout) -> dequantized, by ONNX name and layout."""
    result = {}
    for name, q in outs.items():
        t = m.g.tensors[name]
        result[m.g.float_outputs.get(name, name)] = golden.dequantize(to_onnx_layout(q[None], t.layout)[0],
                                                                      t.scale, t.zero_point)
    return result


def is_blazeface(m: Int8Model) -> bool:
    shapes = {tuple(m.g.tensors[n].shape[1:]) for n in m.g.outputs}
    return (m.sample is not None and m.sample.metric == "face") or shapes == {(896, 16), (896, 1)}


def class_labels(m: Int8Model) -> list[str] | None:
    path = m.sample.folder / "classes.txt" if m.sample else None
    return path.read_text().split("\n") if path and path.exists() else None


def interpret(m: Int8Model, outs: dict[str, np.ndarray], frame_w: int, frame_h: int,
              labels: list[str] | None) -> dict:
    """{"faces": [Detection as dict, in frame pixels]} or {"top_k": [[label, probability], ...]}."""
    f = float_outputs(m, outs)
    if is_blazeface(m):
        reg = next(v for v in f.values() if v.shape[-1] == 16)
        logits = next(v for v in f.values() if v.shape[-1] == 1)
        faces = [heads.unletterbox(d, frame_w, frame_h, m.preprocess.width) for d in heads.decode_blazeface(reg, logits)]
        return {"faces": [d.to_dict() for d in faces]}
    return {"top_k": [[label, round(p, 6)] for label, p in heads.top_k(next(iter(f.values())), labels)]}


def draw(frame: np.ndarray, result: dict, panel: list[str]) -> np.ndarray:
    """The frame (RGB) with the detections or classes and the board's figures drawn on it."""
    import cv2

    # small frames (a 320x240 camera) are drawn on a 2x or larger copy so the figures stay legible
    zoom = max(1, int(np.ceil(MIN_DRAW_WIDTH / frame.shape[1])))
    out = np.ascontiguousarray(cv2.resize(frame, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_LINEAR)
                               if zoom > 1 else frame.copy())
    scale = max(0.8, min(out.shape[0], out.shape[1]) / 600)
    thick = max(1, int(round(2 * scale)))
    for face in result.get("faces", []):
        x0, y0, x1, y1 = (int(round(v * zoom)) for v in face["box"])
        cv2.rectangle(out, (x0, y0), (x1, y1), GREEN, thick)
        for x, y in face["keypoints"]:
            cv2.circle(out, (int(round(x * zoom)), int(round(y * zoom))), thick + 1, YELLOW, -1)
        text(out, f"face {face['score']:.2f}", (x0, max(y0 - 4, 10)), scale, GREEN)
    lines = [f"{label}: {p:.0%}" for label, p in result.get("top_k", [])]
    step = int(24 * scale)
    for i, line in enumerate(lines):
        text(out, line, (8, out.shape[0] - 10 - step * (len(lines) - 1 - i)), scale * 1.1, GREEN)
    # the figures' panel: dimmed background so it reads on any frame
    height = int(16 * scale * 1.3) * len(panel) + 6
    width = min(out.shape[1], max(cv2.getTextSize(s, cv2.FONT_HERSHEY_SIMPLEX, 0.45 * scale * 0.85 * 1.6, 1)[0][0]
                                  for s in panel) + 12)
    out[:height, :width] = (out[:height, :width] * 0.35).astype(np.uint8)
    for i, line in enumerate(panel):
        text(out, line, (5, int(16 * scale * 1.3) * (i + 1) - 2), scale * 0.85, WHITE)
    return out


def text(img: np.ndarray, s: str, org, scale: float, colour) -> None:
    import cv2

    cv2.putText(img, s, org, cv2.FONT_HERSHEY_SIMPLEX, 0.45 * scale * 1.6, BLACK, 3, cv2.LINE_AA)
    cv2.putText(img, s, org, cv2.FONT_HERSHEY_SIMPLEX, 0.45 * scale * 1.6, colour, 1, cv2.LINE_AA)


def panel_lines(fw: Firmware, emulated: bool, latency: int, unit: str, transfer_s: float, fps: float | None,
                sram: int | None, nbytes: int) -> list[str]:
    b = fw.board
    if unit == "instructions":
        board_line = f"board: {latency / 1e6:.1f} M instructions (emulated, not cycles)"
    elif unit == "cycles":
        board_line = f"board: {latency / b.clock_hz * 1e3:.1f} ms ({latency / 1e6:.1f} M cycles)"
    else:   # the host: wall-clock ns
        board_line = f"host: {latency / 1e6:.2f} ms"
    schedule = f"{fw.plan.grid[0]}x{fw.plan.grid[1]} patches" if fw.plan.grid else "per layer"
    return [f"{b.name}{' (emulated)' if emulated else ''}: {fw.model.name}, {schedule}",
            board_line,
            f"link: {transfer_s:.2f} s for {nbytes / 1024:.1f} KB",
            f"{fps:.2f} frames/s" if fps else "frames/s: -",
            f"SRAM measured: {sram:,} B of {b.sram_bytes:,} B" if sram and b.sram_bytes
            else "SRAM measured: -"]


class Interrupts:
    """Ctrl-C (SIGINT) asks to stop after the frame in flight; a second one stops at once."""

    def __init__(self):
        self.requested = False
        self.previous = None

    def __enter__(self):
        self.previous = signal.signal(signal.SIGINT, self.handle)
        return self

    def handle(self, *_):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc):
        signal.signal(signal.SIGINT, self.previous)


class Outputs:
    """The annotated frames to a video file or a folder of PNGs, the first frames to a GIF, and
    the per-frame results to JSON beside them."""

    def __init__(self, out: Path | None, fps: float):
        self.out, self.fps = out, fps
        self.video, self.gif_frames = None, []
        self.is_video = out is not None and out.suffix.lower() in VIDEO_SUFFIXES
        if out is not None:
            (out.parent if self.is_video else out).mkdir(parents=True, exist_ok=True)

    @property
    def gif(self) -> Path | None:
        return None if self.out is None else (self.out.with_suffix(".gif") if self.is_video else self.out / "demo.gif")

    @property
    def json(self) -> Path | None:
        return None if self.out is None else (self.out.with_suffix(".json") if self.is_video else self.out / "demo.json")

    def add(self, index: int, rgb: np.ndarray) -> None:
        import cv2
        from PIL import Image

        if self.out is None:
            return
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        if self.is_video:
            if self.video is None:
                fourcc = cv2.VideoWriter_fourcc(*("mp4v" if self.out.suffix.lower() != ".avi" else "MJPG"))
                self.video = cv2.VideoWriter(str(self.out), fourcc, self.fps, (rgb.shape[1], rgb.shape[0]))
                if not self.video.isOpened():
                    raise ToolkitError(f"OpenCV cannot write the video {self.out}")
            self.video.write(bgr)
        elif not cv2.imwrite(str(self.out / f"frame_{index:05d}.png"), bgr):
            raise ToolkitError(f"cannot write {self.out / f'frame_{index:05d}.png'}")
        if len(self.gif_frames) < GIF_FRAMES:
            im = Image.fromarray(rgb)
            if im.width > GIF_WIDTH:
                im = im.resize((GIF_WIDTH, round(im.height * GIF_WIDTH / im.width)), Image.BILINEAR)
            self.gif_frames.append(im)

    def close(self, result: DemoResult) -> None:
        if self.video is not None:
            self.video.release()
        if self.out is None:
            return
        if self.gif_frames:
            self.gif_frames[0].save(self.gif, save_all=True, append_images=self.gif_frames[1:], loop=0,
                                    duration=int(1000 / max(self.fps, 1)), optimize=True)
            result.gif = str(self.gif)
        self.json.write_text(json.dumps(result.to_dict(), indent=1) + "\n")


def display_available() -> bool:
    """A window needs an X (or Wayland) display and OpenCV built with a GUI."""
    import cv2

    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    gui = [line for line in cv2.getBuildInformation().splitlines() if line.strip().startswith("GUI:")]
    return bool(gui) and "NONE" not in gui[0].upper()


def run_demo(model: str, board: str, emulate: bool, source: str, out: Path | None = None,
             frames: int | None = None, window: bool | None = None, build_dir: Path | None = None,
             log=lambda msg: None, on_frame=lambda result: None) -> DemoResult:
    """The demo; returns what it showed (also written to JSON next to `out`). `on_frame(result)`
    after every frame (the CLI's status line)."""
    src = open_source(source)          # a missing camera or file fails before anything is built
    window = display_available() if window is None else window
    if window and not display_available():
        raise ToolkitError("--window needs a display (DISPLAY is not set) and OpenCV with a GUI")
    target = get_target(board, emulate)
    target.preflight()
    path, sample = resolve_model(model)
    work = Path(build_dir or REPO / "build" / "demo" / f"{sample.name if sample else path.stem}-{target.env}")
    if out is None and not window:
        out = work / "annotated.mp4"
    m = prepare_model(model, work)
    fw = build_firmware(target, m, work, log=log)
    labels = class_labels(m)
    outputs = Outputs(out, src.fps or 10.0)
    result = DemoResult(0, "", fw.board.name, target.emulated, m.name, None, "", None, None, 0, None,
                        str(out) if out else None, None)
    log(f"booting {fw.board.name}{' (emulated)' if target.emulated else ''}; frames from {src.describe()}")
    started, error = None, None
    try:
        with contextlib.ExitStack() as stack:
            stack.callback(src.close)
            view = Window() if window else None
            if view:
                stack.callback(view.close)
            client = stack.enter_context(target.session(fw.program))
            info = check_firmware(client, m.qpath)
            result.latency_unit = info["counter_unit"]
            sizes = [o["bytes"] for o in info["outputs"]]
            result.bytes_per_frame = sum(i["bytes"] for i in info["inputs"]) + sum(sizes)
            stop = stack.enter_context(Interrupts())
            started = time.monotonic()
            for index, rgb in enumerate(src.frames()):
                if frames is not None and index >= frames:
                    result.reason = f"{frames} frames shown (--frames)"
                    break
                x = zoo.preprocess_image(rgb, m.preprocess)[None]
                moved = client.bytes_sent + client.bytes_received
                exchange = functools.partial(infer_image, client, m.g, m.quantize(x), 0)
                outs, latency = view.while_drawing(exchange) if view else exchange()
                seconds = client.last_run_seconds
                moved = client.bytes_sent + client.bytes_received - moved
                sram = measured_memory(client.stats(), target, fw.sizes)["peak_sram_bytes"]
                shown = interpret(m, outs, rgb.shape[1], rgb.shape[0], labels)
                result.frames = index + 1
                result.fps = result.frames / (time.monotonic() - started)
                result.peak_sram_bytes = sram
                result.per_frame.append({"index": index, "latency": latency, "transfer_s": round(seconds["transfer"], 4),
                                         "infer_s": round(seconds["infer"], 4), "link_bytes": moved, **shown})
                annotated = draw(rgb, shown, panel_lines(fw, target.emulated, latency, result.latency_unit,
                                                         seconds["transfer"], result.fps, sram, moved))
                outputs.add(index, annotated)
                on_frame(result)
                if view and view.show(annotated):
                    result.reason = "quit from the window"
                    break
                if stop.requested:
                    result.reason = "interrupted (Ctrl-C)"
                    break
            else:
                result.reason = f"end of {src.describe()}"
    except LinkError as exc:
        error = ToolkitError(f"link lost after {result.frames} frame{'s' if result.frames != 1 else ''}: {exc}")
        result.reason = str(error)
    except KeyboardInterrupt:
        result.reason = "interrupted (Ctrl-C twice: the frame in flight was abandoned)"
    finally:
        if result.per_frame:
            result.latency_median = float(np.median([f["latency"] for f in result.per_frame]))
            result.transfer_seconds_median = float(np.median([f["transfer_s"] for f in result.per_frame]))
        outputs.close(result)
    if error is not None:
        raise error
    return result


class Window:
    """The OpenCV window (q or Esc quits after the frame in flight). Its event loop keeps running
    while the board works on a frame: a frame on the emulator takes seconds, and a window whose
    events wait that long is drawn late (or not at all on a loaded X server) and cannot be moved."""

    def __init__(self):
        import cv2

        cv2.namedWindow(WINDOW, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)
        self.quit = False
        self.board = ThreadPoolExecutor(1, thread_name_prefix="board")   # one worker for every frame

    def show(self, rgb: np.ndarray) -> bool:
        """Show a frame; True once q or Esc was pressed (now or while the frame was computed)."""
        import cv2

        cv2.imshow(WINDOW, np.ascontiguousarray(rgb[:, :, ::-1]))
        self.read_keys(1)
        return self.quit

    def while_drawing(self, work):
        """`work()` (one frame's exchange with the board) in the worker, the window's events here."""
        future = self.board.submit(work)
        while not future.done():
            self.read_keys(20)
        return future.result()

    def read_keys(self, ms: int) -> None:
        import cv2

        self.quit |= (cv2.waitKey(ms) & 0xFF) in (ord("q"), 27)

    def close(self) -> None:
        import cv2

        self.board.shutdown(wait=False)   # after a second Ctrl-C the session's close ends the exchange
        cv2.destroyAllWindows()
        cv2.waitKey(1)
