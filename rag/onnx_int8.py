"""all-MiniLM-L6-v2-int8: the bundled MiniLM as ONNX Runtime's fused BERT graph (one Attention,
SkipLayerNormalization and BiasGelu node per layer) with dynamic int8 weights, per output
channel; the embedding layer stays fp32. Made once, on first use or by scripts/setup.sh, into
the user cache dir beside the fp32 export; nothing is downloaded.

Its vectors are not the fp32 model's (cosine 0.99-1.00 to them on BBC chunks), so it is a model
of its own name: a store records which of the two built it (rag/store.py).

Each text is embedded alone (batch size 1). Dynamic quantisation scales each input tensor by
its own range, so in a batch a text's vector would depend on its neighbours and their padding;
alone, the same text always gets the same vector, and no padding is computed at all (on the
2-core machine this was also faster than batches of 4, 8 or 32).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from rag.onnx_embed import export_onnx, onnx_model_path

logger = logging.getLogger(__name__)

INT8_NAME = "all-MiniLM-L6-v2-int8"
HEADS, HIDDEN = 12, 384  # all-MiniLM-L6-v2's attention heads and hidden size


def int8_model_path() -> Path:
    return onnx_model_path(INT8_NAME)


def int8_model(model_dir: str) -> Path:
    """The int8 model file; made from the bundled model the first time it is needed."""
    target = int8_model_path()
    return target if target.exists() else export_int8(model_dir, target)


def export_int8(model_dir: str, target: Path) -> Path:
    """Trace (eager attention, the pattern the optimizer fuses), fuse, quantise; the file
    appears whole or not at all (two processes exporting at once each write their own)."""
    import os

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".int8-") as tmp:
        traced = export_onnx(model_dir, Path(tmp) / "traced.onnx", attention="eager")
        fused = fuse(traced, Path(tmp) / "fused.onnx")
        quantised = quantise(fused, Path(tmp) / "int8.onnx")
        os.replace(quantised, target)
    return target


def fuse(source: Path, target: Path) -> Path:
    from onnxruntime.transformers.optimizer import optimize_model

    model = optimize_model(
        str(source), model_type="bert", num_heads=HEADS, hidden_size=HIDDEN, use_gpu=False
    )
    if not model.get_fused_operator_statistics().get("Attention"):
        logger.warning("ONNX Runtime fused no attention; the int8 model will be slower")
    model.save_model_to_file(str(target))
    return target


def quantise(source: Path, target: Path) -> Path:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.disable(logging.WARNING)  # "consider pre-processing", on the root logger
    try:
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Attention"],
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        logging.disable(logging.NOTSET)
    return target
