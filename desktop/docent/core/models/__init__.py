"""Models: the packaged default model files (located and sha256-checked), GGUF headers, the chat
model (the only code that imports llama_cpp for generation) and its office-server twin, the
embedders (ONNX Runtime, llama.cpp), the optional cross-encoder and discovery of GGUF files other
apps keep. May import `core.types`, `core.cancel`, `core.text` and `storage`; never `ingest`,
`retrieval`, `answer`, `library` or `selftest`."""
