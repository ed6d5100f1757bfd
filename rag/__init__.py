"""newsrag core: settings, model and store factories, retrieval, the answer chain, the CLI.

Importing this package is cheap on purpose: heavy libraries (torch, chromadb, llama.cpp,
gradio) are imported inside the functions that need them.
"""

import os

# Offline by default: no model hub look-ups, no telemetry. setdefault lets a deployment opt in.
for _name, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_name, _value)

__version__ = "0.1.0"
