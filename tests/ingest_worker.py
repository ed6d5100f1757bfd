"""A separate ingesting process for the crash and lock tests (deterministic fake embeddings).

python -m tests.ingest_worker DATA_DIR CORPUS            # ingest, print the report
python -m tests.ingest_worker DATA_DIR CORPUS --hold 30  # hold the writer lock, then exit
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ingest.pipeline import ingest
from rag.config import Settings
from rag.store import open_store
from tests.conftest import HashingEmbeddings


def main() -> None:
    data_dir, corpus = Path(sys.argv[1]), Path(sys.argv[2])
    store = open_store(Settings(data_dir=data_dir), "fake")
    if "--hold" in sys.argv:
        with store.writing():
            print("holding", flush=True)
            time.sleep(float(sys.argv[sys.argv.index("--hold") + 1]))
        return
    report = ingest([corpus], store, HashingEmbeddings(), batch_chunks=16)
    print(json.dumps(report.as_dict()), flush=True)


if __name__ == "__main__":
    main()
