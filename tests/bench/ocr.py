"""OCR accuracy and speed on scanned pages whose true text is known.

Pages of the SQuAD articles (../shared/eval/squad/docs_pdf, read only) are rendered to images as a
scanner would (optionally degraded: a slight skew, blur and noise), written as an image-only PDF in
memory, and read back through Docent's own OCR path (docent.core.ingest.extract.ocr.read_pages: render,
recognise, reading order, paragraphs). The truth is the page's text layer (PDFium).

    .venv/bin/python tests/bench/ocr.py [--docs 8] [--pages-per-doc 2] [--dpi 120 150] [--scan-dpi 200]

Figures: character accuracy (difflib ratio of whitespace-normalised text, and 1 - edit distance /
length), word recall (share of the page's words OCR found: it drops when words run together), and
pages per second (wall clock, after a warm-up) with the CPU seconds a page takes (all threads; steadier
than the wall clock on a shared machine).
"""

from __future__ import annotations

import argparse
import difflib
import io
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "desktop"))
SQUAD = ROOT.parent / "shared" / "eval" / "squad" / "docs_pdf"

_WORD = re.compile(r"\w+")


def normalise(text: str) -> str:
    text = text.replace("\ufffe", "").replace("\u00ad", "")
    text = re.sub(r"-\s*\n\s*", "", text)  # hyphenation at line ends
    return re.sub(r"\s+", " ", text).strip()


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, a row at a time with numpy (pages are a few thousand characters)."""
    import numpy as np

    if not a or not b:
        return max(len(a), len(b))
    codes = np.array([ord(c) for c in b], dtype=np.int64)
    idx = np.arange(len(b) + 1, dtype=np.int64)
    prev = idx.copy()
    for i, ch in enumerate(a, start=1):
        cur = np.empty_like(prev)
        cur[0] = i
        # substitution (or match) and deletion
        np.minimum(prev[:-1] + (codes != ord(ch)), prev[1:] + 1, out=cur[1:])
        # insertion: cur[j] = min over k <= j of cur[k] + (j - k), a running minimum
        prev = np.minimum.accumulate(cur - idx) + idx
    return int(prev[-1])


def word_recall(truth: str, got: str) -> float:
    want = [w.lower() for w in _WORD.findall(truth)]
    have: dict[str, int] = {}
    for w in _WORD.findall(got):
        have[w.lower()] = have.get(w.lower(), 0) + 1
    found = 0
    for w in want:
        if have.get(w, 0) > 0:
            have[w] -= 1
            found += 1
    return found / len(want) if want else 1.0


def scanned_pdf(images: list[object], dpi: int) -> bytes:
    buf = io.BytesIO()
    images[0].save(buf, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)  # type: ignore[attr-defined]
    return buf.getvalue()


def degrade(image: object, seed: int) -> object:
    """A plausible office scan: 0.4° skew, a little blur, grain."""
    import numpy as np
    from PIL import Image, ImageFilter

    img = image.rotate(0.4 if seed % 2 else -0.4, resample=Image.BILINEAR, fillcolor=255, expand=False)  # type: ignore[attr-defined]
    img = img.filter(ImageFilter.GaussianBlur(0.7))
    arr = np.asarray(img, dtype=np.int16)
    rng = np.random.default_rng(seed)
    arr = np.clip(arr + rng.normal(0, 12, arr.shape), 0, 255).astype(np.uint8)
    return Image.fromarray(arr, mode="L")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=8)
    ap.add_argument("--pages-per-doc", type=int, default=2)
    ap.add_argument("--dpi", type=float, nargs="+", default=[120, 150], help="OCR render resolutions")
    ap.add_argument("--scan-dpi", type=int, default=200, help="resolution of the simulated scan images")
    ap.add_argument("--no-degraded", action="store_true", help="clean scans only")
    args = ap.parse_args()

    import pypdfium2 as pdfium

    from docent.core.ingest.extract import ocr

    files = sorted(SQUAD.glob("*.pdf"))[: args.docs]
    if not files:
        sys.exit(f"no PDFs under {SQUAD}")
    truths: list[str] = []
    clean_images: list[object] = []
    for f in files:
        doc = pdfium.PdfDocument(str(f))
        for i in range(min(args.pages_per_doc, len(doc))):
            page = doc[i]
            textpage = page.get_textpage()
            truths.append(normalise(textpage.get_text_range()))
            textpage.close()
            clean_images.append(page.render(scale=args.scan_dpi / 72, grayscale=True).to_pil())
            page.close()
        doc.close()
    conditions = {"clean": clean_images}
    if not args.no_degraded:
        conditions["degraded"] = [degrade(img, k) for k, img in enumerate(clean_images)]
    print(f"{len(truths)} pages from {len(files)} SQuAD articles, {sum(map(len, truths))} characters; "
          f"scans at {args.scan_dpi} dpi; engine models: {', '.join(ocr._MODELS.values())}")

    ocr.read_pages(scanned_pdf(clean_images[:1], args.scan_dpi))  # warm-up: model load, first run
    print(f"{'scan':9} {'dpi':>4} {'char acc (difflib)':>18} {'char acc (edit)':>15} {'word recall':>11} "
          f"{'pages/s':>8} {'s/page':>7} {'cpu s/page':>10}")
    for name, images in conditions.items():
        data = scanned_pdf(images, args.scan_dpi)
        for dpi in args.dpi:
            started, cpu = time.perf_counter(), time.process_time()
            got = ocr.read_pages(data, dpi=dpi)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            ratios, accs, recalls = [], [], []
            for k, truth in enumerate(truths, start=1):
                text = normalise(" ".join(got.texts.get(k, [])))
                ratios.append(difflib.SequenceMatcher(None, truth, text, autojunk=False).ratio())
                accs.append(max(0.0, 1 - edit_distance(truth, text) / max(len(truth), 1)))
                recalls.append(word_recall(truth, text))
            print(f"{name:9} {dpi:4.0f} {statistics.mean(ratios):18.4f} {statistics.mean(accs):15.4f} "
                  f"{statistics.mean(recalls):11.4f} {len(truths) / seconds:8.2f} {seconds / len(truths):7.2f} "
                  f"{cpu / len(truths):10.2f}")


if __name__ == "__main__":
    main()
