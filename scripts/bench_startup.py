"""Start-up and memory: cold `newsrag ask` in a new process (each embedding runtime), and the
peak resident memory of `newsrag serve` with the bundled models after a few questions.
Prints a markdown table; asserts nothing.

  .venv/bin/python scripts/bench_startup.py --runs 3
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NEWSRAG = str(Path(sys.executable).with_name("newsrag"))
QUESTION = "Who took over the NAM chair?"


def peak_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(found.group(1)) if found else 0


def cold_ask(data_dir: Path, runtime: str) -> tuple[float, int]:
    """Wall time and peak memory (KB) of one `newsrag ask` from process start to exit."""
    env = {**os.environ, "NEWSRAG_EMBEDDING_RUNTIME": runtime}
    started = time.perf_counter()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M", NEWSRAG, "ask", QUESTION, "--data-dir", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - started
    return elapsed, int(result.stderr.strip().splitlines()[-1])


def serve_peak(data_dir: Path, questions: int) -> tuple[float, int]:
    """Seconds until `newsrag serve` answers HTTP, and its peak memory after some questions."""
    from gradio_client import Client

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.perf_counter()
    process = subprocess.Popen(
        [NEWSRAG, "serve", "--port", str(port), "--data-dir", str(data_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        while True:
            try:
                urllib.request.urlopen(url, timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        ready = time.perf_counter() - started
        client = Client(url, verbose=False)
        for _ in range(questions):
            client.predict(question=QUESTION, api_name="/ask")
        return ready, peak_kb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--questions", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        subprocess.run(
            [
                NEWSRAG,
                "ingest",
                str(ROOT / "rag" / "sample_corpus"),
                "--data-dir",
                str(data_dir),
                "--json",
            ],
            check=True,
            capture_output=True,
        )
        print("| measure | runtime | median | all runs |\n| --- | --- | --- | --- |")
        for runtime in ("onnx", "torch"):
            runs = [cold_ask(data_dir, runtime) for _ in range(args.runs)]
            times = [f"{t:.2f}" for t, _ in runs]
            wall = statistics.median(t for t, _ in runs)
            memory = statistics.median(m for _, m in runs) / 1024
            print(f"| cold `newsrag ask`, s | {runtime} | {wall:.2f} | {', '.join(times)} |")
            print(f"| cold `newsrag ask` peak memory, MB | {runtime} | {memory:.0f} | |")
        ready, peak = serve_peak(data_dir, args.questions)
        print(f"| `newsrag serve` ready, s | torch | {ready:.2f} | |")
        label = f"`newsrag serve` peak memory after {args.questions} answers, MB"
        print(f"| {label} | torch | {peak / 1024:.0f} | |")


if __name__ == "__main__":
    main()
