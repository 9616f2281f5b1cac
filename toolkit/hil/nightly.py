"""`toolkit hil run`: the HIL suite on every board of a rack at once (one pytest worker per board),
then one report directory per run and the trend over the runs kept in the same folder:

    DIR/<run>/junit-<board>.xml   pytest's JUnit XML, one per board
    DIR/<run>/results.json        every test's status and figures; boards not run, and why
    DIR/<run>/metrics.prom        the figures in OpenMetrics text format
    DIR/history.json              one summary line per run (the trend's data)
    DIR/index.html                the last run's table and latency / SRAM trend plots

Exit status 0 only if every attached board passed; absent boards are listed as not run."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from ..build import REPO
from .hwmap import HardwareEntry, dump

FIGURES = ("latency_per_image", "peak_sram_bytes", "arena_high_water_bytes", "planned_arena_bytes")


@dataclass(frozen=True)
class Worker:
    entry: HardwareEntry
    junit: Path

    @property
    def label(self) -> str:
        return f"{self.entry.platform}{'-emu' if self.entry.emulated else ''}-{self.entry.id}"


def pytest_args(one_entry_map: Path, models: list[str], images: int, junit: Path) -> list[str]:
    args = [sys.executable, "-m", "pytest", str(REPO / "hil_tests"), "-q", "-p", "no:cacheprovider",
            "--hardware-map", str(one_entry_map), "--hil-images", str(images), f"--junitxml={junit}",
            "-o", "junit_family=xunit1"]
    for m in models:
        args += ["--hil-model", m]
    return args


def run_workers(entries: list[HardwareEntry], models: list[str], images: int, out: Path, log) -> dict[str, dict]:
    """Every connected entry in its own pytest process, all at once; returns results by worker label."""
    workers = [Worker(e, out / f"junit-{e.platform}-{e.id}.xml") for e in entries if e.connected]
    procs = []
    for w in workers:
        logf = open(out / f"pytest-{w.label}.log", "w")
        one = out / f"map-{w.label}.yaml"  # the worker's own board, as a one-entry hardware map
        one.write_text(dump([w.entry.as_map_entry()]))
        procs.append((w, subprocess.Popen(pytest_args(one, models, images, w.junit), cwd=REPO, stdout=logf,
                                          stderr=subprocess.STDOUT, env=dict(os.environ)), logf))
        log(f"started {w.label}")
    results = {}
    for w, proc, logf in procs:
        rc = proc.wait()
        logf.close()
        results[w.label] = {"board": w.entry.platform, "id": w.entry.id, "emulated": w.entry.emulated,
                            "exit_code": rc, "tests": parse_junit(w.junit)}
        log(f"{w.label}: pytest exit {rc}")
    for e in entries:
        if not e.connected:
            results[f"{e.platform}-{e.id}"] = {"board": e.platform, "id": e.id, "emulated": e.emulated,
                                               "exit_code": None, "not_run": "listed as not connected", "tests": []}
    return results


def parse_junit(path: Path) -> list[dict]:
    if not path.exists():
        return []
    tests = []
    for case in ET.parse(path).getroot().iter("testcase"):
        status = "passed"
        for tag in ("failure", "error", "skipped"):
            node = case.find(tag)
            if node is not None:
                status = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
                message = node.get("message", "")
                break
        else:
            message = ""
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        tests.append({"name": case.get("name"), "file": case.get("file") or case.get("classname"),
                      "status": status, "message": message[:500], "properties": props})
    return tests


def all_passed(results: dict[str, dict]) -> bool:
    """Every attached board ran and nothing failed (skips are not failures; boards not run are not)."""
    ran = [r for r in results.values() if "not_run" not in r]
    return bool(ran) and all(r["exit_code"] in (0, 5) and all(t["status"] in ("passed", "skipped")
                                                                for t in r["tests"]) for r in ran)


def figures(results: dict[str, dict]) -> list[dict]:
    """One row per (board, model, figure) from the tests' recorded properties."""
    rows = []
    for label, r in results.items():
        for t in r["tests"]:
            model = t["name"].split("/", 1)[1].rstrip("]") if "/" in t["name"] else ""
            for name in FIGURES:
                if name in t["properties"]:
                    rows.append({"board": label, "model": model, "figure": name, "value": float(t["properties"][name]),
                                 "unit": t["properties"].get("latency_unit", "bytes") if name == "latency_per_image"
                                 else "bytes"})
    return rows


def openmetrics(rows: list[dict], results: dict[str, dict]) -> str:
    lines = ["# TYPE hil_figure gauge", "# HELP hil_figure HIL figures: latency per image (its unit), SRAM bytes"]
    for r in rows:
        lines.append(f'hil_figure{{board="{r["board"]}",model="{r["model"]}",figure="{r["figure"]}",'
                     f'unit="{r["unit"]}"}} {r["value"]:.0f}')
    lines += ["# TYPE hil_tests gauge", "# HELP hil_tests HIL tests by outcome"]
    for label, r in results.items():
        counts = {}
        for t in r["tests"]:
            counts[t["status"]] = counts.get(t["status"], 0) + 1
        if "not_run" in r:
            counts["not_run"] = 1
        for status, n in sorted(counts.items()):
            lines.append(f'hil_tests{{board="{label}",status="{status}"}} {n}')
    return "\n".join(lines) + "\n# EOF\n"


def html(report: Path, run: str, results: dict[str, dict], history: list[dict]) -> None:
    """index.html: the last run's table, and the trend of every figure over the runs kept."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    series: dict[tuple, list] = {}
    for i, h in enumerate(history):
        for r in h["figures"]:
            series.setdefault((r["figure"], r["unit"]), {}).setdefault(f'{r["board"]} {r["model"]}', []).append(
                (i, r["value"]))
    imgs = []
    for (figure, unit), lines in sorted(series.items()):
        fig, ax = plt.subplots(figsize=(7, 3))
        for name, pts in sorted(lines.items()):  # change against each series' first run: regressions stand out
            first = pts[0][1] or 1.0
            ax.plot([p[0] for p in pts], [100 * (p[1] / first - 1) for p in pts], marker="o",
                    label=f"{name}: {pts[-1][1]:,.0f} {unit}")
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_ylabel("% vs first run")
        ax.set_title(f"{figure.replace('_', ' ')}")
        ax.set_xlabel("run")
        ax.set_xticks(range(len(history)))
        ax.legend(fontsize=7)
        fig.tight_layout()
        png = f"trend-{figure}.png"
        fig.savefig(report / png, dpi=90)
        plt.close(fig)
        imgs.append(f'<img src="{png}" alt="{figure} trend">')
    rows = []
    for label, r in results.items():
        if "not_run" in r:
            rows.append(f"<tr><td>{label}</td><td colspan=3>not run: {r['not_run']}</td></tr>")
        for t in r["tests"]:
            rows.append(f"<tr class='{t['status']}'><td>{label}</td><td>{t['name']}</td><td>{t['status']}</td>"
                        f"<td>{t['message'][:200]}</td></tr>")
    (report / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>HIL report</title><style>"
        "body{font-family:sans-serif} td{padding:2px 8px} .failed,.error{background:#fdd} .skipped{color:#777}"
        f"</style></head><body><h1>HIL run {run}</h1><p>{len(history)} runs kept in this folder.</p>"
        + "".join(imgs) + "<table><tr><th>board</th><th>test</th><th>status</th><th>message</th></tr>"
        + "".join(rows) + "</table></body></html>\n")


def run(entries: list[HardwareEntry], models: list[str], images: int, report: Path, log=print) -> bool:
    run_id = time.strftime("%Y%m%d-%H%M%S")
    while (report / run_id).exists():  # two runs within a second
        run_id += "-1"
    out = report / run_id
    out.mkdir(parents=True, exist_ok=True)
    results = run_workers(entries, models, images, out, log)
    rows = figures(results)
    passed = all_passed(results)
    (out / "results.json").write_text(json.dumps({"run": run_id, "passed": passed, "boards": results,
                                                  "figures": rows}, indent=1) + "\n")
    (out / "metrics.prom").write_text(openmetrics(rows, results))
    history_path = report / "history.json"
    history = json.loads(history_path.read_text()) if history_path.exists() else []
    history.append({"run": run_id, "passed": passed, "figures": rows})
    history_path.write_text(json.dumps(history, indent=1) + "\n")
    html(report, run_id, results, history)
    return passed
