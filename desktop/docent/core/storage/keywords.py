"""What the catalog's keyword indexes are searched with: a question becomes an FTS5 OR-query of its
content words (English stopwords dropped), and text holding Chinese, Japanese or Korean becomes
character bigrams for the CJK side index. Pure functions over strings (split from catalog.py)."""

from __future__ import annotations

import re
import unicodedata

from docent.core.text import STOPWORDS as STOPWORDS  # words too common to help a keyword search

_WORD = re.compile(r"\w+", re.UNICODE)


def keyword_query(text: str) -> str:
    """A question → an FTS5 OR-query of its content words, each quoted (no syntax injection)."""
    words = []
    seen = set()
    for w in _WORD.findall(unicodedata.normalize("NFKC", text).lower()):
        if w in STOPWORDS or w in seen or (len(w) < 2 and not w.isdigit()):
            continue
        seen.add(w)
        words.append('"' + w.replace('"', "") + '"')
    return " OR ".join(words[:64])


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+")


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def _bigrams(run: str) -> list[str]:
    return [run] if len(run) < 2 else [run[i : i + 2] for i in range(len(run) - 1)]


def cjk_terms(text: str) -> str:
    """Text for the CJK index: each CJK run becomes its overlapping bigrams, the rest is kept."""
    text = unicodedata.normalize("NFKC", text)
    return _CJK.sub(lambda m: " " + " ".join(_bigrams(m.group())) + " ", text)


def cjk_query(text: str) -> str:
    """A question holding CJK → an FTS5 OR-query of its CJK bigrams and its other content words."""
    text = unicodedata.normalize("NFKC", text).lower()
    terms = [b for m in _CJK.finditer(text) for b in _bigrams(m.group())]
    terms += [w for w in _WORD.findall(_CJK.sub(" ", text)) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]
    unique = list(dict.fromkeys(terms))
    return " OR ".join('"' + t.replace('"', "") + '"' for t in unique[:64])
