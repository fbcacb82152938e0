"""Docent: an offline desktop document assistant."""

import os as _os

__version__ = "0.1.0"

# ONNX Runtime (the embedder's engine) has, since 1.2x on Linux and macOS, its own usage telemetry:
# a persistent device id and a queue of events under ~/.cache/Microsoft/DeveloperTools, and an
# uploader in native code that Python's socket guard cannot see. This is its documented full
# opt-out; it must be set before onnxruntime starts, so it is set when any part of Docent is
# imported (the CLI, the window, the document reader's child processes inherit it).
_os.environ["ORT_DISABLE_TELEMETRY"] = "1"
