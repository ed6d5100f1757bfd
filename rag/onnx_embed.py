"""all-MiniLM-L6-v2 on ONNX Runtime: the same weights as the torch path (exported once from the
bundled package; cosine 0.9999999 to torch's vectors), loaded in 0.5 s instead of the 7-10 s
that importing torch and sentence-transformers takes. One-shot commands (`ask`, `search`) use
it when the export exists; long-running ones keep torch, which embeds faster on this CPU.

The int8 model (`bundled:all-MiniLM-L6-v2-int8`, rag/onnx_int8.py) runs here too, always.

  python -m rag.onnx_embed    # export both (scripts/setup.sh does this once)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import platformdirs
from langchain_core.embeddings import Embeddings

MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length, as in sentence-transformers


def onnx_model_path(name: str = "all-MiniLM-L6-v2") -> Path:
    return Path(platformdirs.user_cache_dir("newsrag")) / "onnx" / f"{name}.onnx"


def export_onnx(model_dir: str, target: Path, attention: str | None = None) -> Path:
    """Trace the bundled model into ONNX (needs torch once; written atomically). `attention`:
    'eager' traces the attention pattern ONNX Runtime's optimizer fuses (rag/onnx_int8.py)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    chosen = {"attn_implementation": attention} if attention else {}
    model = AutoModel.from_pretrained(model_dir, local_files_only=True, **chosen).eval()
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    sample = tokenizer(
        ["a short text", "and a somewhat longer one"], padding=True, return_tensors="pt"
    )

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    with torch.no_grad():
        torch.onnx.export(
            LastHiddenState(),
            tuple(sample[n] for n in names),
            str(partial),
            input_names=names,
            output_names=["last_hidden_state"],
            opset_version=17,
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
            dynamo=False,
        )
    os.replace(partial, target)
    return target


class OnnxMiniLM(Embeddings):
    """Mean pooling over tokens, then L2 normalisation: sentence-transformers' recipe."""

    def __init__(self, model_path: Path, model_dir: str, batch_size: int = 8) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 2
        options.log_severity_level = 3
        # Idle threads sleep instead of spinning: on 2 shared cores, spinning took the CPU that
        # ingestion's reader and writer threads (and other processes) need; int8 raw 15.6 ->
        # 33.5 chunks/s and CPU per chunk halved (scripts/bench_groundwork.py). Same vectors.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.batch_size = batch_size

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            vectors.extend(self._embed(texts[start : start + self.batch_size]))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self._embed([text])[0]

    def _embed(self, texts: list[str]) -> list[list[float]]:
        import numpy as np

        encoded = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(None, inputs)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return [row.tolist() for row in pooled]


if __name__ == "__main__":  # pragma: no cover - the setup step
    from rag.models import bundled_minilm_path
    from rag.onnx_int8 import int8_model

    target = onnx_model_path()
    if not target.exists():
        export_onnx(bundled_minilm_path(), target)
    print(f"ONNX all-MiniLM-L6-v2: {target}")
    print(f"ONNX all-MiniLM-L6-v2-int8: {int8_model(bundled_minilm_path())}")
