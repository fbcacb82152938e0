"""Suite-wide fixtures: environment isolation, the socket guard, the shared embedder."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator

import pytest

TESTS = Path(__file__).resolve().parent
NETGUARD_DIR = TESTS / "netguard"

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before anything creates a QApplication

# The socket guard goes in before the code under test is imported, so that no module can keep a
# reference to an unpatched socket function.
sys.path.insert(0, str(NETGUARD_DIR))
import netguard  # noqa: E402

netguard.install()

from helpers import CountingEmbedder  # noqa: E402


# ---- environment -------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One models folder for the whole session, so the sha256 'verified' cache is shared."""
    path = tmp_path_factory.mktemp("models")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DOCENT_MODELS_DIR", str(path))
        yield path


@pytest.fixture(autouse=True)
def _isolated_env(models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCENT_DATA_DIR", str(tmp_path / "docent-data"))
    monkeypatch.setenv("DOCENT_MODELS_DIR", str(models_dir))
    monkeypatch.setenv("DOCENT_LOG_DIR", str(tmp_path / "docent-logs"))
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")


# ---- socket guard --------------------------------------------------------------------------------
@pytest.fixture
def network_attempts() -> list[str]:
    """Every network access attempted (and refused) since the last check. A test that provokes one
    on purpose clears the list afterwards."""
    return netguard.ATTEMPTS


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    if netguard.ATTEMPTS:  # made while session/module fixtures were being set up
        found = list(netguard.ATTEMPTS)
        netguard.ATTEMPTS.clear()
        pytest.fail(f"network access attempted during fixture setup: {found}")
    yield
    if netguard.ATTEMPTS:  # made during teardown
        found = list(netguard.ATTEMPTS)
        netguard.ATTEMPTS.clear()
        pytest.fail(f"network access attempted during teardown: {found}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    # checked right after the test body, so the test itself fails (not only its teardown)
    result = yield
    if netguard.ATTEMPTS:
        found = list(netguard.ATTEMPTS)
        netguard.ATTEMPTS.clear()
        pytest.fail(f"network access attempted: {found}")
    return result


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # attempts made after the last test's check (module/session fixture teardown)
    if netguard.ATTEMPTS:
        sys.stderr.write(f"\nnetwork access attempted during teardown: {netguard.ATTEMPTS}\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# ---- shared models ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def embedder(models_dir: Path):  # noqa: ANN201 - an OnnxEmbedder
    """The packaged MiniLM ONNX embedder, loaded once for the session."""
    from docent.core.models.embedder import default_embedder

    return default_embedder()


@pytest.fixture
def counting_embedder(embedder) -> CountingEmbedder:  # noqa: ANN001
    return CountingEmbedder(embedder)


@pytest.fixture
def library(tmp_path: Path, embedder):  # noqa: ANN001, ANN201
    from docent.core.library import Library

    with Library(tmp_path / "lib", embedder=embedder) as lib:
        yield lib
