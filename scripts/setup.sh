#!/usr/bin/env bash
# Create .venv and install newsrag with everything it needs, the bundled models included.
# Safe to re-run: an up-to-date environment is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip

# llama-cpp-python has no wheel for this platform and compiles (about 10 minutes on 2 cores,
# once: pip caches the built wheel). The multimodal tools, tests and examples are not needed.
export CMAKE_ARGS="${CMAKE_ARGS:--DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF}"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"

# torch is pinned in pyproject.toml to the CPU build; an unpinned torch pulls several GB of CUDA.
.venv/bin/python -m pip install --quiet -e ".[dev]"
.venv/bin/newsrag --help >/dev/null
# MiniLM exported once for ONNX Runtime (`newsrag ask` then starts without importing torch),
# and its int8 model made once (bundled:all-MiniLM-L6-v2-int8), both into the user cache dir
.venv/bin/python -m rag.onnx_embed >/dev/null 2>&1 || .venv/bin/python -m rag.onnx_embed
echo "newsrag is installed in .venv (run: .venv/bin/newsrag --help)"
