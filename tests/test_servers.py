"""Office scale-out against the real servers: Chroma's own `chroma run` and llama_cpp.server (the
OpenAI-compatible API), both started here on 127.0.0.1 at free ports. The socket guard lets these
tests reach exactly those two ports (netguard.allow); every other connection stays refused.

Index into a library whose vectors live on the Chroma server, ask through the model server, lose
the model server mid-answer (a clear ModelError naming its URL), then clear the setting and ask
again with the local model."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import netguard
import pytest

import docgen
from docent.core.library.facade import VECTORS_AT, VECTORS_DIR, Library
from docent.core.models.llm import ChatModel
from docent.core.models.packaged import chat_model_path
from docent.core.models.remote_llm import RemoteChatModel
from docent.core.types import AnswerDone, Sources, Token
from docent.errors import ModelError, StoreError
from docent.settings import Settings
from helpers import run_index

pytestmark = [pytest.mark.servers, pytest.mark.slow]  # real servers, the real chat model

VENV_BIN = Path(sys.executable).parent
QUESTION = "Who built the lighthouse on Karvik Island?"
BASE = Settings(max_answer_tokens=64, n_ctx=2048, sources=1, n_threads=1, chat_model="smollm2-135m-instruct")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:  # bind is local: the guard allows it
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DOCENT_TEST_NETLOG")}
    env.update(ANONYMIZED_TELEMETRY="False", CHROMA_TELEMETRY_IMPL="none", NO_PROXY="*")
    return env


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{proc.args} exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            with opener.open(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    pytest.fail(f"{url} was not ready after {timeout:.0f} s: {log.read_text(errors='replace')[-2000:]}")


def _start(args: list[str], ready: str, log: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(args, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=_server_env())
    _wait_ready(proc, ready, log)
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[dict[str, object]]:
    chroma = shutil.which("chroma", path=str(VENV_BIN)) or shutil.which("chroma")
    if chroma is None:
        pytest.skip("the `chroma` command (Chroma's server) is not installed")
    try:
        import llama_cpp.server.app  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"llama_cpp.server cannot run here ({exc}): pip install 'llama-cpp-python[server]'")
    root = tmp_path_factory.mktemp("servers")
    cport, lport = _free_port(), _free_port()
    with netguard.allow(("127.0.0.1", cport), ("127.0.0.1", lport)):
        chroma_proc = _start([chroma, "run", "--path", str(root / "chroma"), "--host", "127.0.0.1", "--port", str(cport)],
                             f"http://127.0.0.1:{cport}/api/v2/heartbeat", root / "chroma.log")
        llama_args = [sys.executable, "-m", "llama_cpp.server", "--model", str(chat_model_path("smollm2-135m-instruct")),
                      "--host", "127.0.0.1", "--port", str(lport), "--n_ctx", "2048", "--n_threads", "1"]
        try:
            llama_proc = _start(llama_args, f"http://127.0.0.1:{lport}/v1/models", root / "llama.log")
        except BaseException:
            _stop(chroma_proc)
            raise
        try:
            yield {"chroma": f"http://127.0.0.1:{cport}", "cport": cport, "llm": f"http://127.0.0.1:{lport}",
                   "llama_proc": llama_proc, "root": root}
        finally:
            _stop(llama_proc)
            _stop(chroma_proc)


def _ask(lib: Library, question: str) -> tuple[list[str], AnswerDone, Sources]:
    events = list(lib.ask(question))
    assert isinstance(events[0], Sources) and isinstance(events[-1], AnswerDone)
    return [e.text for e in events if isinstance(e, Token)], events[-1], events[0]


def test_privacy_self_test_allows_exactly_the_configured_servers(servers, embedder) -> None:  # noqa: ANN001
    """Runs before the test that kills the model server."""
    import chromadb

    from docent.core.selftest.privacy import SELFTEST_SETTINGS, SelfTestReport, run_selftest

    def stray() -> None:  # a connection to some other port of the same host: refused and counted
        socket.create_connection(("127.0.0.1", _free_port()), timeout=1)

    settings = Settings(**{**SELFTEST_SETTINGS.__dict__, "chroma_server": servers["chroma"],
                           "llm_server": servers["llm"], "chat_model": "smollm2-135m-instruct"})
    client = chromadb.HttpClient(host="127.0.0.1", port=servers["cport"],
                                 settings=chromadb.config.Settings(anonymized_telemetry=False))
    with netguard.allow(("127.0.0.1", servers["cport"]), ("127.0.0.1", int(servers["llm"].rsplit(":", 1)[1]))):
        before = {c if isinstance(c, str) else c.name for c in client.list_collections()}
        report = [e for e in run_selftest(settings=settings, embedder=embedder) if isinstance(e, SelfTestReport)][0]
        assert report.error == "" and report.answered and report.indexed == 3
        assert report.ok and report.connections_attempted == 0, report.connections
        assert report.servers == [f"127.0.0.1:{servers['cport']}", servers["llm"].removeprefix("http://")]
        assert report.server_connections > 0
        assert "connection(s) to the configured office servers" in report.summary()
        # the temporary library's collection was removed from the shared server
        assert {c if isinstance(c, str) else c.name for c in client.list_collections()} == before

        report = [e for e in run_selftest(settings=settings, embedder=embedder, extra=stray)
                  if isinstance(e, SelfTestReport)][0]
        assert not report.ok and report.connections_attempted == 1 and report.server_connections > 0
    netguard.ATTEMPTS.clear()  # the suite's guard saw nothing: the self-test's own guard refused first


def test_a_server_serving_another_model_applies_its_own_chat_template(servers, embedder, tmp_path: Path) -> None:  # noqa: ANN001
    """The laptop has only the Gemma 270M base model; the office server serves SmolLM2 Instruct.
    The answer comes from the server's model, prompted through its own chat template, and the
    answer's provenance names the server and its model, not the local file. Runs before the test
    that kills the model server."""
    from docent.core.models import remote_llm

    gemma = chat_model_path("gemma3-270m")
    assert not remote_llm.serves_file("/srv/models/smollm2-135m-instruct.gguf", gemma)
    assert remote_llm.serves_file(f"/srv/models/{gemma.name}", gemma)
    assert remote_llm.serves_file(gemma.stem, gemma) and remote_llm.serves_file("", gemma)

    docgen.write_pdf(tmp_path / "docs" / "atlas.pdf", docgen.ATLAS_PAGES)
    settings = Settings(**{**BASE.__dict__, "chat_model": "gemma3-270m", "llm_server": servers["llm"]})
    with Library(tmp_path / "lib", settings, embedder=embedder) as lib:
        run_index(lib, [tmp_path / "docs"])
        model = lib.chat_model()
        assert isinstance(model, RemoteChatModel) and not model.same_model
        assert model.is_chat and "smollm2" in model.name.lower()
        assert model.n_ctx <= int(settings.n_ctx * remote_llm.FOREIGN_BUDGET)
        sent: list[str] = []
        opener_open = model._opener.open

        def spy(request, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            sent.append(getattr(request, "full_url", str(request)))
            return opener_open(request, *args, **kwargs)

        model._opener.open = spy  # type: ignore[method-assign]
        tokens, answer, _ = _ask(lib, QUESTION)
        assert sent == [servers["llm"] + "/v1/chat/completions"]
        assert tokens and answer.answered and answer.citations and answer.citations[0].page == 3
        assert "Solberg" in answer.answer  # SmolLM2 Instruct, prompted in its own template, reads the page
        prov = answer.provenance
        assert prov.model_path == f"{servers['llm']} ({model.server_model})" and prov.model_sha256 is None
        assert prov.generation["model_server"] == prov.model_path
        assert prov.generation["tokenizer"] == str(gemma)


def test_index_and_ask_through_shared_servers_then_fall_back_locally(servers, embedder, tmp_path: Path) -> None:  # noqa: ANN001
    pdf = docgen.write_pdf(tmp_path / "docs" / "atlas.pdf", docgen.ATLAS_PAGES)
    settings = Settings(**{**BASE.__dict__, "chroma_server": servers["chroma"], "llm_server": servers["llm"]})
    assert settings.validate() == []
    with Library(tmp_path / "lib", settings, embedder=embedder) as lib:
        _, done = run_index(lib, [tmp_path / "docs"])
        assert done.indexed == 1 and done.chunks > 0
        # the vectors are on the server, in this library's own collection, and nowhere local
        assert not (tmp_path / "lib" / VECTORS_DIR).exists()
        import chromadb

        other = chromadb.HttpClient(host="127.0.0.1", port=servers["cport"],
                                    settings=chromadb.config.Settings(anonymized_telemetry=False))
        name = f"docent-{lib.catalog.get_meta('library_id')}"
        assert other.get_collection(name).count() == lib.store.count() == done.chunks

        # answered by the model server, with citations of the page that holds the answer
        assert isinstance(lib.chat_model(), RemoteChatModel)
        tokens, answer, sources = _ask(lib, QUESTION)
        assert [(h.path, h.page) for h in sources.hits] == [(str(pdf), 3)]
        assert tokens and answer.answered and not answer.cancelled
        assert answer.citations and all(c.path == str(pdf) and c.page == 3 for c in answer.citations)

        # the model server goes away after the first piece of the answer
        proc = servers["llama_proc"]
        events = lib.ask(QUESTION)
        with pytest.raises(ModelError, match=r"shared model server at http://127\.0\.0\.1:\d+ stopped answering"):
            for event in events:
                if isinstance(event, Token) and proc.poll() is None:
                    proc.kill()
                    proc.wait(10)
        # ...and a next question says it cannot be reached
        with pytest.raises(ModelError, match=r"cannot reach the shared model server at http://127\.0\.0\.1:\d+"):
            _ask(lib, QUESTION)

        # the setting cleared, the same library answers with the local model (vectors still shared)
        lib.set_settings(Settings(**{**settings.__dict__, "llm_server": ""}))
        model = lib.chat_model()
        assert type(model) is ChatModel
        tokens, answer, _ = _ask(lib, QUESTION)
        assert tokens and answer.answered and "Solberg" in answer.answer
        assert answer.citations and answer.citations[0].page == 3


def test_a_library_moves_its_vectors_to_the_server_and_back_without_re_embedding(
        servers, counting_embedder, tmp_path: Path) -> None:  # noqa: ANN001
    docgen.write_pdf(tmp_path / "docs" / "atlas.pdf", docgen.ATLAS_PAGES)
    with Library(tmp_path / "lib", BASE, embedder=counting_embedder) as lib:  # on this computer
        run_index(lib, [tmp_path / "docs"])
        local_ids = lib.store.all_ids()
        expected = [(h.path, h.page, h.chunk_id) for h in lib.search(QUESTION)]
    assert local_ids and expected

    shared = Settings(**{**BASE.__dict__, "chroma_server": servers["chroma"]})
    counting_embedder.reset()
    with Library(tmp_path / "lib", shared, embedder=counting_embedder) as lib:  # setting changed: moved
        assert lib.store.all_ids() == local_ids
        assert lib.vectors_moved == len(local_ids) and lib.catalog.get_meta(VECTORS_AT) == servers["chroma"]
        assert counting_embedder.texts == 0  # copied, not embedded again
        assert [(h.path, h.page, h.chunk_id) for h in lib.search(QUESTION)] == expected
        # a document added and one removed while the library is on the server
        (tmp_path / "docs" / "atlas.pdf").unlink()
        docgen.write_pdf(tmp_path / "docs" / "second.pdf", docgen.ATLAS_PAGES[:2])
        _, done = run_index(lib, [tmp_path / "docs"])
        assert done.indexed == 1 and done.removed == 1
        shared_ids = lib.store.all_ids()
    assert shared_ids and not shared_ids & local_ids
    with Library(tmp_path / "lib", shared, embedder=counting_embedder) as lib:  # the local copy is not kept
        assert lib.store.all_ids() == shared_ids and lib.vectors_moved == 0
        assert not (tmp_path / "lib" / VECTORS_DIR).exists()

    counting_embedder.reset()
    with Library(tmp_path / "lib", BASE, embedder=counting_embedder) as lib:  # and back: local made equal
        assert lib.store.all_ids() == shared_ids  # the stale local copy of atlas.pdf is gone
        assert lib.vectors_moved == len(shared_ids) and counting_embedder.texts == 0
        assert lib.catalog.get_meta(VECTORS_AT) == ""
        # nothing of this library is left on the server, and no pointer to it here
        assert f"docent-{lib.catalog.get_meta('library_id')}" not in _collections(servers)
        assert not (tmp_path / "lib" / "remote-vectors.json").exists()
    with Library(tmp_path / "lib", BASE, embedder=counting_embedder) as lib:  # nothing more to move
        _ = lib.store
        assert lib.vectors_moved == 0


def test_the_same_server_under_another_address_keeps_the_library(
        servers, counting_embedder, tmp_path: Path) -> None:  # noqa: ANN001
    """http://127.0.0.1:PORT, then http://localhost:PORT/ (the same `chroma run`): nothing is
    copied, nothing deleted, nothing embedded again. (It once "moved" the collection onto itself,
    deleted it as the old one, and the recovery then emptied the catalog.)"""
    docgen.write_pdf(tmp_path / "docs" / "atlas.pdf", docgen.ATLAS_PAGES)
    shared = Settings(**{**BASE.__dict__, "chroma_server": servers["chroma"]})
    with Library(tmp_path / "lib", shared, embedder=counting_embedder) as lib:
        run_index(lib, [tmp_path / "docs"])
        ids = lib.store.all_ids()
        name = f"docent-{lib.catalog.get_meta('library_id')}"
    assert ids and name in _collections(servers)
    assert Settings(chroma_server=servers["chroma"] + "/").chroma_server == servers["chroma"]  # one spelling

    alias = f"http://localhost:{servers['cport']}/"
    counting_embedder.reset()
    with netguard.allow(("localhost", servers["cport"])):
        with Library(tmp_path / "lib", Settings(**{**shared.__dict__, "chroma_server": alias}),
                     embedder=counting_embedder) as lib:
            assert lib.store.all_ids() == ids and lib.vectors_moved == 0 and lib.recovered == 0
            assert counting_embedder.texts == 0 and len(lib.documents()) == 1
            assert lib.catalog.get_meta(VECTORS_AT) == alias.rstrip("/")
            top = lib.search(QUESTION)[0]
            assert top.page == 3 and "Solberg" in top.text
        assert name in _collections(servers)
        with Library(tmp_path / "lib", shared, embedder=counting_embedder) as lib:  # back to the first spelling
            assert lib.store.all_ids() == ids and lib.vectors_moved == 0 and len(lib.documents()) == 1
    assert name in _collections(servers)


def test_a_chroma_server_that_stops_gives_a_clear_error(embedder, tmp_path: Path) -> None:  # noqa: ANN001
    """The server goes away while the library is open: searching and asking say which server and
    what to do (in the window this was an 'Unexpected error (ConnectError …)')."""
    chroma = shutil.which("chroma", path=str(VENV_BIN)) or shutil.which("chroma")
    if chroma is None:
        pytest.skip("the `chroma` command (Chroma's server) is not installed")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    docgen.write_pdf(tmp_path / "docs" / "atlas.pdf", docgen.ATLAS_PAGES)
    with netguard.allow(("127.0.0.1", port)):
        proc = _start([chroma, "run", "--path", str(tmp_path / "chroma"), "--host", "127.0.0.1", "--port", str(port)],
                      f"{url}/api/v2/heartbeat", tmp_path / "chroma.log")
        try:
            with Library(tmp_path / "lib", Settings(**{**BASE.__dict__, "chroma_server": url}), embedder=embedder) as lib:
                run_index(lib, [tmp_path / "docs"])
                assert lib.search(QUESTION)[0].page == 3
                _stop(proc)
                with pytest.raises(StoreError) as info:
                    lib.search(QUESTION)
                message = str(info.value)
                assert f"the shared Chroma server at {url} did not answer" in message
                assert "Settings › Office servers" in message and "Are you sure" not in message
                doc_id = lib.documents()[0].id
            # a run stopped by the outage left work half-done: the documents are still listed
            import sqlite3

            db = sqlite3.connect(tmp_path / "lib" / "catalog.sqlite3")
            with db:
                db.execute("UPDATE documents SET status='indexing' WHERE id=?", (doc_id,))
            db.close()
            with Library(tmp_path / "lib", Settings(**{**BASE.__dict__, "chroma_server": url}), embedder=embedder) as lib:
                assert [d.id for d in lib.documents()] == [doc_id]
        finally:
            _stop(proc)


def _collections(servers) -> set[str]:  # noqa: ANN001
    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=servers["cport"],
                                 settings=chromadb.config.Settings(anonymized_telemetry=False))
    return {c if isinstance(c, str) else c.name for c in client.list_collections()}


def test_removing_a_library_deletes_its_vectors_on_the_server(servers, counting_embedder, tmp_path: Path) -> None:  # noqa: ANN001
    from docent.core.storage.registry import delete_library

    docgen.write_pdf(tmp_path / "docs" / "atlas.pdf", docgen.ATLAS_PAGES)
    shared = Settings(**{**BASE.__dict__, "chroma_server": servers["chroma"]})
    with Library(tmp_path / "lib", shared, embedder=counting_embedder, passphrase="pw", encrypt=True) as lib:
        run_index(lib, [tmp_path / "docs"])  # encrypted: the catalog (which holds the id) is unreadable
        name = f"docent-{lib.catalog.get_meta('library_id')}"
    assert name in _collections(servers)
    assert delete_library(tmp_path / "lib") == []
    assert name not in _collections(servers) and not (tmp_path / "lib").exists()


def test_vectors_on_a_server_that_is_gone_give_a_clear_way_out(counting_embedder, tmp_path: Path) -> None:  # noqa: ANN001
    docgen.write_pdf(tmp_path / "docs" / "atlas.pdf", docgen.ATLAS_PAGES)
    with Library(tmp_path / "lib", BASE, embedder=counting_embedder) as lib:
        run_index(lib, [tmp_path / "docs"])
        port = _free_port()  # nothing listens there: the server the vectors were on is gone
        lib.catalog.set_meta(VECTORS_AT, f"http://127.0.0.1:{port}")
    with netguard.allow(("127.0.0.1", port)):
        with Library(tmp_path / "lib", BASE, embedder=counting_embedder) as lib:
            with pytest.raises(StoreError, match=rf"vectors are on the Chroma server at http://127\.0\.0\.1:{port}.*"
                                                 r"set the Chroma server back.*--rebuild"):
                _ = lib.store
            with pytest.raises(StoreError, match="vectors are on the Chroma server"):  # still, not half-opened
                lib.search(QUESTION)
            lib.rebuild()  # the way out that needs no server: vectors made again here
            _, done = run_index(lib, [tmp_path / "docs"])
            assert done.indexed == 1 and lib.store.count() == done.chunks
            assert lib.catalog.get_meta(VECTORS_AT) == ""
        # removing a library whose vectors are on a server that does not answer: refused, nothing
        # removed, unless asked to remove it from this computer only
        from docent.core.storage.registry import delete_library
        from docent.errors import RemoteVectorsKept

        (tmp_path / "lib" / "remote-vectors.json").write_text(
            f'{{"server": "http://127.0.0.1:{port}", "collection": "docent-x"}}')
        with pytest.raises(RemoteVectorsKept, match=rf"Chroma server at http://127\.0\.0\.1:{port}.*nothing was removed"):
            delete_library(tmp_path / "lib")
        assert (tmp_path / "lib" / "catalog.sqlite3").exists()
        assert delete_library(tmp_path / "lib", keep_remote=True) == []
        assert not (tmp_path / "lib").exists()


def test_unreachable_chroma_server_is_a_clear_store_error(embedder, tmp_path: Path) -> None:  # noqa: ANN001
    port = _free_port()  # nothing listens there
    url = f"http://127.0.0.1:{port}"
    with netguard.allow(("127.0.0.1", port)):
        with Library(tmp_path / "lib", Settings(chroma_server=url), embedder=embedder) as lib:
            with pytest.raises(StoreError, match=f"shared Chroma server at {url}"):
                _ = lib.store


def test_server_settings_are_validated() -> None:
    assert Settings(chroma_server="http://10.0.0.5:8000", llm_server="https://llm.office:8443").validate() == []
    for bad in ("10.0.0.5:8000", "ftp://host:21", "http://host", "http://:8000", "http://h:99999"):
        problems = Settings(chroma_server=bad, llm_server=bad).validate()
        assert len(problems) == 2 and "Chroma server" in problems[0] and "model server" in problems[1], bad


def _llama_server_binary() -> str | None:
    return os.environ.get("DOCENT_LLAMA_SERVER") or shutil.which("llama-server")


@pytest.mark.skipif(_llama_server_binary() is None,
                    reason="llama.cpp's own llama-server is not installed (set DOCENT_LLAMA_SERVER to its path)")
def test_llama_cpp_own_server(embedder, tmp_path: Path) -> None:  # noqa: ANN001
    """llama.cpp's C++ `llama-server` (not in CI: it is built from llama.cpp's sources): it names
    the file it serves and its context size. The same file answers through /v1/completions within
    the server's context; another local model goes through the server's chat template."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    args = [str(_llama_server_binary()), "-m", str(chat_model_path("smollm2-135m-instruct")), "--host", "127.0.0.1",
            "--port", str(port), "-c", "2048", "-t", "1"]
    docgen.write_pdf(tmp_path / "docs" / "atlas.pdf", docgen.ATLAS_PAGES)
    with netguard.allow(("127.0.0.1", port)):
        proc = _start(args, f"{url}/v1/models", tmp_path / "llama-server.log")
        try:
            settings = Settings(**{**BASE.__dict__, "llm_server": url, "n_ctx": 4096})
            with Library(tmp_path / "lib", settings, embedder=embedder) as lib:
                run_index(lib, [tmp_path / "docs"])
                model = lib.chat_model()
                assert isinstance(model, RemoteChatModel) and model.same_model
                assert model.server_ctx == 2048 and model.n_ctx == 2048  # the setting's 4096 would not fit
                tokens, answer, _ = _ask(lib, QUESTION)
                assert tokens and answer.answered and "Solberg" in answer.answer
                assert answer.citations and answer.citations[0].page == 3

                lib.set_settings(Settings(**{**settings.__dict__, "chat_model": "gemma3-270m"}))
                model = lib.chat_model()
                assert isinstance(model, RemoteChatModel) and not model.same_model and model.n_ctx < 2048
                tokens, answer, _ = _ask(lib, QUESTION)
                assert tokens and not answer.cancelled
                assert answer.provenance.generation["model_server"].startswith(url)
        finally:
            _stop(proc)
