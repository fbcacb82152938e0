"""A library indexed by an older chunker is re-indexed by the next sync (new chunk text needs new
vectors): the sync says how many documents it re-reads for that, and a cancel in the middle loses
nothing: every document stays searchable, with its old passages until its new ones are written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import docgen
from docent.core.cancel import CancelToken
from docent.core.ingest.chunking import ChunkParams
from docent.core.ingest.indexer import EMBED_BATCH
from docent.core.library import Library
from docent.core.retrieval.search import SearchParams
from docent.core.types import FileProgress, ScanDone, SyncDone
from helpers import assert_consistent

OLD = "c3:200:32:24"
FACTS = {
    "honey.pdf": ("Honeybee colonies in the Ostrava apiary produce forty kilograms of linden honey.", "Ostrava apiary"),
    "volcano.pdf": ("The Teide observatory records tremors with twelve broadband seismometers.", "Teide seismometers"),
    "lighthouse.pdf": ("The Karvik Island lighthouse was built in 1887 by Margit Solberg.", "Karvik lighthouse"),
}


def _age(data: Path) -> None:
    """Make the library look as if an older Docent (chunker c3) had indexed it."""
    db = sqlite3.connect(data / "catalog.sqlite3")
    with db:
        db.execute("UPDATE documents SET chunker=?", (OLD,))
    db.close()


def _found(lib: Library) -> dict[str, bool]:
    return {name: any(Path(h.path).name == name for h in lib.search(query, 3, params=SearchParams(mode="keyword")))
            for name, (_, query) in FACTS.items()}


def test_reindex_after_chunker_change_is_announced_and_loses_nothing_when_cancelled(tmp_path: Path) -> None:
    docs, data = tmp_path / "docs", tmp_path / "data"
    for name, (text, query) in FACTS.items():
        # more pages than one embedding batch holds chunks (a chunk never crosses a page)
        filler = [f"Page {i} of the notes on {query} lists the duties of the season." for i in range(EMBED_BATCH + 6)]
        docgen.write_pdf(docs / name, [text, *filler])
    with Library(data) as lib:
        assert list(lib.index([docs]))[-1].indexed == 3
    _age(data)
    assert ChunkParams().signature != OLD

    with Library(data) as lib:
        before = {d.path: d.chunks for d in lib.documents()}
        cancel = CancelToken()
        events = []
        for ev in lib.index([docs], cancel):
            events.append(ev)
            if isinstance(ev, FileProgress) and ev.chunks_done:  # the first document is half embedded: stop the run
                cancel.cancel()
        scan = next(e for e in events if isinstance(e, ScanDone))
        assert (scan.to_index, scan.outdated, scan.unchanged) == (3, 3, 0)  # said before any work
        done = events[-1]
        assert isinstance(done, SyncDone) and done.cancelled and done.indexed == 0
        # nothing lost: all three documents are still indexed (old chunker), searchable, consistent
        docs_now = lib.documents()
        assert {d.path: d.chunks for d in docs_now} == before
        assert all(d.status == "indexed" for d in docs_now)
        assert _found(lib) == {name: True for name in FACTS}
        assert_consistent(lib)
        chunkers = {r[0] for r in lib.catalog.rows("SELECT chunker FROM documents")}
        assert chunkers == {OLD}

    with Library(data) as lib:  # the next sync finishes the migration; then nothing is outdated
        events = list(lib.index([docs]))
        assert next(e for e in events if isinstance(e, ScanDone)).outdated == 3
        assert events[-1].indexed == 3
        assert {r[0] for r in lib.catalog.rows("SELECT chunker FROM documents")} == {ChunkParams().signature}
        assert _found(lib) == {name: True for name in FACTS}
        assert_consistent(lib)
        again = list(lib.index([docs]))
        assert next(e for e in again if isinstance(e, ScanDone)).outdated == 0 and again[-1].unchanged == 3
