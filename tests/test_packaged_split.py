"""Optional chat models carried in part packages (packaged.SplitModel): found through real
distribution metadata (a fake installed package on sys.path), assembled in order, size and sha256
checked, never left half-written. Tiny fake parts; nothing is downloaded."""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

import pytest

from docent.core.models import packaged
from docent.core.models.packaged import OPTIONAL_CHAT_MODELS, SplitModel, assemble_parts, split_model_path
from docent.errors import ModelError

REPO = Path(__file__).resolve().parents[1]
PARTS = [b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 3]
WHOLE = b"".join(PARTS)


def _fake(sha256: str = hashlib.sha256(WHOLE).hexdigest(), size: int = len(WHOLE)) -> SplitModel:
    return SplitModel("fake-model", "fake-model.gguf", "docent-fake-model-part", "docent_fake_model_part",
                      len(PARTS), "0.1.0", sha256, size, "fake")


def _install(site: Path, parts: list[bytes] = PARTS) -> None:
    """Write what pip would: each part package's module with its data file, and its dist-info."""
    for n, data in enumerate(parts, 1):
        (site / f"docent_fake_model_part{n}" / "data").mkdir(parents=True)
        (site / f"docent_fake_model_part{n}" / "data" / f"part{n:02d}.bin").write_bytes(data)
        info = site / f"docent_fake_model_part{n}-0.1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: docent-fake-model-part{n}\nVersion: 0.1.0\n")


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "models"
    monkeypatch.setenv("DOCENT_MODELS_DIR", str(folder))
    return folder


def test_parts_assemble_in_order_and_are_remembered_as_verified(tmp_path: Path, models: Path) -> None:
    files = []
    for n, data in enumerate(PARTS, 1):
        files.append(tmp_path / f"p{n}")
        files[-1].write_bytes(data)
    target = models / "fake.gguf"
    model = _fake()
    assert assemble_parts(files, target, model.size, model.sha256) == target
    assert target.read_bytes() == WHOLE
    assert not list(models.glob("*.partial"))
    st = target.stat()
    cache = json.loads((models / "verified.json").read_text())
    assert cache[f"{target}|{st.st_size}|{st.st_mtime_ns}"] == model.sha256


def test_a_wrong_sha256_or_size_leaves_no_file(tmp_path: Path, models: Path) -> None:
    files = []
    for n, data in enumerate(PARTS, 1):
        files.append(tmp_path / f"p{n}")
        files[-1].write_bytes(data)
    target = models / "fake.gguf"
    with pytest.raises(ModelError, match="sha256"):
        assemble_parts(files, target, len(WHOLE), "0" * 64)
    assert not target.exists() and not list(models.glob("*.partial"))
    with pytest.raises(ModelError, match="bytes"):
        assemble_parts(list(reversed(files))[1:], target, len(WHOLE), hashlib.sha256(WHOLE).hexdigest())
    assert not target.exists()


def test_not_installed_says_how_to_install(models: Path) -> None:
    with pytest.raises(ModelError, match=r"3 of its 3 packages are missing.*docent\[fake\]"):
        split_model_path(_fake())


def test_installed_parts_are_assembled_once_into_the_models_folder(tmp_path: Path, models: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    _install(site)
    monkeypatch.syspath_prepend(str(site))
    model = _fake()
    with pytest.raises(ModelError, match="not prepared yet"):
        split_model_path(model, assemble=False)
    path = split_model_path(model)
    assert path == models / "fake-model.gguf" and path.read_bytes() == WHOLE
    mtime = path.stat().st_mtime_ns
    assert split_model_path(model, assemble=False) == path  # found assembled: not rebuilt
    assert path.stat().st_mtime_ns == mtime


def test_a_damaged_part_package_is_refused(tmp_path: Path, models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    _install(site, [PARTS[0], b"B" * len(PARTS[1]), PARTS[2]])  # same size, other bytes
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(ModelError, match="sha256"):
        split_model_path(_fake())
    assert not (models / "fake-model.gguf").exists()


def test_each_optional_model_has_its_pyproject_extra() -> None:
    """`pip install 'docent[<extra>]'` installs exactly the part packages the model is read from."""
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for model in OPTIONAL_CHAT_MODELS.values():
        assert extras[model.extra] == [f"{p.dist}=={model.version}" for p in model.pieces()]
        assert model.extra in model.install_hint() and len(model.sha256) == 64
    assert packaged.DEFAULT_CHAT_MODEL not in OPTIONAL_CHAT_MODELS
