"""What the catalog's keyword indexes are searched with: a question becomes an FTS5 OR-query of its
content words (English stopwords dropped; a long question only of the words that discriminate in
this library, by their document frequencies), and text holding Chinese, Japanese or Korean becomes
character bigrams for the CJK side index. Pure functions over strings (split from catalog.py)."""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Sequence

from docent.core.text import STOPWORDS as STOPWORDS  # words too common to help a keyword search

_WORD = re.compile(r"\w+", re.UNICODE)


_LETTERS_DIGITS = re.compile(r"^([^\W\d_]+)(\d{2,})$|^(\d{2,})([^\W\d_]+)$")
# A question of at most this many content words is searched with all of them.
SHORT_QUERY = 6
# A longer one keeps its words found in at most this share of the library's passages ("using",
# "answer", "statement" in a library of filings), and at least its SHORT_QUERY rarest words.
COMMON_SHARE = 0.04


def query_words(text: str) -> list[str]:
    """A question's content words, in order, once each (stopwords and stray letters left out); a
    word of letters and digits also gives its number ("FY2020" → "fy2020", "2020"), which is how a
    document writes the year."""
    words: list[str] = []
    for w in _WORD.findall(unicodedata.normalize("NFKC", text).lower()):
        for part in w.split("_"):
            if part in STOPWORDS or (len(part) < 2 and not part.isdigit()):
                continue
            words.append(part)
            m = _LETTERS_DIGITS.match(part)
            if m:
                words.append(m.group(2) or m.group(3))
    return list(dict.fromkeys(words))


def or_query(words: Sequence[str]) -> str:
    """Words → an FTS5 OR-query, each quoted (no syntax injection)."""
    return " OR ".join('"' + w.replace('"', "") + '"' for w in list(words)[:64])


def keyword_query(text: str) -> str:
    """A question → an FTS5 OR-query of all its content words."""
    return or_query(query_words(text))


def idf(df: int, n: int) -> float:
    """BM25's inverse document frequency of a word found in `df` of `n` passages (FTS5's formula,
    floored at a small positive value as FTS5 does)."""
    return max(1e-6, math.log((n - df + 0.5) / (df + 0.5)))


def discriminating(words: Sequence[str], df: Sequence[int], n: int, short: int = SHORT_QUERY,
                   common_share: float = COMMON_SHARE) -> list[str]:
    """The words of a long question that tell passages apart in this library: those in at most
    `common_share` of its `n` passages, and never fewer than its `short` rarest (a word found
    nowhere stays: it costs nothing). A question of at most `short` words keeps them all."""
    if len(words) <= short or n <= 0:
        return list(words)
    rarest = set(sorted(range(len(words)), key=lambda i: df[i])[:short])
    return [w for i, w in enumerate(words) if i in rarest or df[i] <= common_share * n]


def within_budget(words: Sequence[str], df: Sequence[int], budget: int) -> list[str]:
    """A question's words, rarest first, for as long as the passages holding them add up to at
    most `budget` (always its rarest word): BM25 then ranks a bounded number of postings however
    large the library. The rare words carry nearly all of BM25's weight (its idf); the common ones
    dropped barely move a ranking. Kept in the question's order."""
    order = sorted(range(len(words)), key=lambda i: df[i])
    keep: set[int] = set()
    total = 0
    for i in order:
        if keep and total + df[i] > budget:
            break
        keep.add(i)
        total += df[i]
    return [w for i, w in enumerate(words) if i in keep]


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
