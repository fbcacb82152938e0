"""Which documents a question names: by file name ("Summarize covidqa_doc_2554.pdf", "the atlas
report") or by what identifies a document in its own text (a company and a year: "Block's FY2020
cash flow" → the filing whose name or opening passage says Block and 2020). One routine for the
search, which then prefers those documents' passages, and for the whole-document tasks, which read
them. Pure functions over text; the words' weights come from the library itself (how few of its
documents carry a word), not from a list."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Collection, Mapping
from pathlib import PurePath

from docent.core.text import STOPWORDS, stem

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_SPLIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")
# A document is named when the question shares with it words worth at least this many nats of
# document-level IDF (a word found in 1 of 8 documents is worth 2.1), and at least this share of
# the best-named document's score.
MIN_SCORE = 2.0
NEAR_BEST = 0.8


def words(text: str) -> set[str]:
    """Light stems of a text's content words, underscores and letter-digit joins split ("FY2020"
    → "fy", "2020"; "BLOCK_2020_10K" → "block", "2020", "10", "k")."""
    out: set[str] = set()
    for token in _TOKEN.findall(unicodedata.normalize("NFKC", text).lower()):
        for part in _SPLIT.split(token):
            if part and part not in STOPWORDS and (len(part) > 1 or part.isdigit()):
                out.add(part if part.isdigit() else stem(part))
    return out


def proper_names(text: str) -> set[str]:
    """Light stems of the words a text writes capitalised past its first word ("How much did
    Block generate" → {"block"}): a document is named by a proper name, not by a common word
    that happens to be in its title."""
    tokens = _TOKEN.findall(unicodedata.normalize("NFKC", text))
    return {stem(p.lower()) for t in tokens[1:] if t[:1].isupper() for p in _SPLIT.split(t) if p[:1].isupper()}


def _compounds(question: str, directory: "Directory") -> set[str]:
    """Stems of the file-name words a question writes as a proper name in parts or in short:
    "Best Buy" → BESTBUY_..., "Ulta Beauty" → ULTABEAUTY_..., "MGM" → MGMRESORTS_... (a name's
    beginning of at least 3 letters, or two capitalised words written together)."""
    raw = [t.lower() for t in _TOKEN.findall(unicodedata.normalize("NFKC", question))[1:] if t[:1].isupper()]
    terms = {t for t in raw if len(t) >= 3} | {a + b for a, b in zip(raw, raw[1:])}
    if not terms:
        return set()
    return {stem(part) for parts in directory.parts.values() for part in parts
            if any(part.startswith(t) for t in terms)}


def _name_key(text: str) -> str:
    return " ".join(_TOKEN.findall(unicodedata.normalize("NFKC", text).lower()))


class Directory:
    """The library's documents as routing sees them, worked out once (a search asks per query):
    each file name's key and words, and the words of its name and identity line together."""

    def __init__(self, names: Mapping[int, str], identities: Mapping[int, str] | None = None) -> None:
        self.names = dict(names)
        self.has_identities = identities is not None
        self.keys = {d: _name_key(PurePath(n).stem) for d, n in self.names.items()}
        self.name_words = {d: words(PurePath(n).stem) for d, n in self.names.items()}
        self.parts = {d: [p for t in _TOKEN.findall(PurePath(n).stem.lower()) for p in _SPLIT.split(t)
                          if len(p) > 3 and not p.isdigit()] for d, n in self.names.items()}
        self.carried = {d: self.name_words[d] | words((identities or {}).get(d, "")) for d in self.names}


def file_named(question: str, names: Mapping[int, str] | Directory) -> list[int]:
    """The documents whose whole file name (with or without its extension; "_", "-" and "." as
    spaces) the question writes, longest name first."""
    directory = names if isinstance(names, Directory) else Directory(names)
    q = f" {_name_key(question)} "
    found = [(len(key), d) for d, key in directory.keys.items() if len(key) >= 3 and f" {key} " in q]
    return [doc_id for _, doc_id in sorted(found, reverse=True)]


def named_documents(question: str, names: Mapping[int, str] | Directory, identities: Mapping[int, str] | None = None,
                    ignore: Collection[str] = ()) -> list[int]:
    """The documents a question names, best first: those whose file name it writes whole; else
    those whose name and `identities` (e.g. the opening passage: title, company, period) share
    the question's most distinctive words, each word weighed by log(N / documents carrying it),
    one of them a proper name the question writes capitalised. `names` may be a Directory made
    once (then `identities` is its own).
    `ignore`: stems that name a task rather than a subject ("summar", "list"). [] when none stands
    out: a question about a subject found everywhere names no document."""
    directory = names if isinstance(names, Directory) else Directory(names, identities)
    exact = file_named(question, directory)
    if exact:
        return exact
    q = words(question) - set(ignore)
    if not q or not directory.names:
        return []
    names_in_q = proper_names(question) | _compounds(question, directory)
    q |= names_in_q
    # all the words of the file's name ("the harbour contract" → harbour_contract.docx), or at
    # least half of them with a proper name among them ("Block's FY2020 ..." → BLOCK_2020_10K.pdf)
    by_name = []
    for doc_id, all_words in directory.name_words.items():
        name_words = all_words - set(ignore)
        shared = q & name_words
        if name_words and (shared == name_words or (
                len(shared) >= max(1, (len(name_words) + 1) // 2) and shared & names_in_q)):
            by_name.append((len(shared) / len(name_words), doc_id))
    if by_name:
        return [doc_id for _, doc_id in sorted(by_name, key=lambda x: -x[0])]
    if not directory.has_identities:
        return []
    carried = directory.carried
    n = len(carried)
    df: dict[str, int] = {}
    for ws in carried.values():
        for w in ws & q:
            df[w] = df.get(w, 0) + 1
    weight = {w: math.log(n / c) for w, c in df.items()}
    scores = {d: sum(weight[w] for w in ws & q) for d, ws in carried.items() if ws & q & names_in_q}
    best = max(scores.values(), default=0.0)
    if best < MIN_SCORE:
        return []
    return sorted((d for d, s in scores.items() if s >= NEAR_BEST * best), key=lambda d: -scores[d])
