"""The extraction worker process: per-file time and memory budgets, recovery after a failure,
and read-ahead of the next file."""

from __future__ import annotations

from pathlib import Path

import pytest

import docgen
from docent.core.ingest.extract import ExtractError
from docent.core.ingest.extract.worker import ProcessExtractor


def _long_pdf(tmp_path: Path, pages: int) -> Path:
    text = "Harbour dues are settled monthly by the port authority. " * 30
    return docgen.write_pdf(tmp_path / f"long{pages}.pdf", [text] * pages)


def test_reads_files_and_reads_ahead(tmp_path: Path) -> None:
    a = docgen.write_pdf(tmp_path / "a.pdf", ["Alpha page one.", "Alpha page two."])
    b = docgen.write_pdf(tmp_path / "b.pdf", ["Bravo only page."])
    with ProcessExtractor(timeout_s=60) as ex:
        first = ex.result(str(a))
        ex.submit(str(b))  # read ahead while the caller works on `first`
        second = ex.result(str(b))
    assert first.pages == 2 and [blk.page for blk in first.blocks] == [1, 2]
    assert second.pages == 1 and "Bravo" in second.blocks[0].text


def test_a_file_over_its_time_budget_is_skipped_and_the_next_one_still_reads(tmp_path: Path) -> None:
    slow = _long_pdf(tmp_path, 300)
    fine = docgen.write_pdf(tmp_path / "fine.pdf", ["Still readable after the timeout."])
    with ProcessExtractor(timeout_s=0.2, grace_s=0.0) as ex:
        with pytest.raises(ExtractError, match="longer than"):
            ex.result(str(slow))
        ex.timeout_s = 60
        assert "Still readable" in ex.result(str(fine)).blocks[0].text


def test_a_file_over_its_memory_budget_fails_with_a_reason(tmp_path: Path) -> None:
    big = _long_pdf(tmp_path, 200)
    # far below what reading needs: the budget must stop the worker, not the indexing process
    with ProcessExtractor(timeout_s=120, memory_mb=40) as ex:
        with pytest.raises(ExtractError) as info:
            ex.result(str(big))
    assert "memory" in info.value.reason or "crashed" in info.value.reason


def test_broken_files_come_back_as_reasons_not_crashes(tmp_path: Path) -> None:
    junk = docgen.write_random_bytes(tmp_path / "junk.pdf")
    good = docgen.write_pdf(tmp_path / "good.pdf", ["Good file."])
    with ProcessExtractor(timeout_s=60) as ex:
        with pytest.raises(ExtractError, match="not a PDF|damaged"):
            ex.result(str(junk))
        assert ex.result(str(good)).pages == 1
        with pytest.raises(FileNotFoundError):
            ex.result(str(tmp_path / "missing.pdf"))


def test_a_script_without_a_main_guard_runs_once(tmp_path: Path) -> None:
    """The worker is spawned; a spawned child normally re-runs the parent's main script. A user's
    script with no `if __name__ == "__main__"` guard must still run exactly once and get its text."""
    import subprocess
    import sys

    pdf = docgen.write_pdf(tmp_path / "dues.pdf", ["Harbour dues are settled monthly by the port authority."])
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from pathlib import Path\n"
        "from docent.core.ingest.extract.worker import ProcessExtractor\n"
        "print('top-level ran', flush=True)\n"
        "ex = ProcessExtractor()\n"
        f"ex.submit({str(pdf)!r})\n"
        f"print('text:', ex.result({str(pdf)!r}).blocks[0].text[:13], flush=True)\n"
        "ex.close()\n"
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("top-level ran") == 1
    assert "text: Harbour dues" in proc.stdout
