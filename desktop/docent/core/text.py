"""Plain-text helpers shared by every room: the English stopwords, a light stemmer and a text's set
of content-word stems, whether a text writes a name, sentence spans, the numbers a text states, and
the [n] citation markers of an answer. Pure functions over strings; nothing here knows about
documents, models or the index."""

from __future__ import annotations

import re
import unicodedata

# Words too common to help a keyword search or to count as content (English; other languages are kept whole).
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most my
    myself no nor not of off on once only or other our ours ourselves out over own same she should so some
    such than that the their theirs them themselves then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you your yours
    yourself yourselves what's whats did does many much name named called one also""".split()
)
_WORD = re.compile(r"\w+", re.UNICODE)
_SUFFIXES = ("ations", "ation", "ingly", "ings", "ing", "edly", "ies", "ied", "es", "ed", "ly", "s")


def stem(word: str) -> str:
    """A light English stemmer, enough to match "signs"/"sign" or "terminated"/"termination"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:6]


def stems(text: str) -> set[str]:
    """The stems of a text's content words (lower-cased, stopwords and one-letter words left out)."""
    return {stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1}


# ---- names --------------------------------------------------------------------------------------
def fold(text: str) -> str:
    """Lower case without accents: "Beyoncé" and "Beyonce" are one name."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(ch))


def writes_name(name: str, text: str, opening: bool = False) -> bool:
    """Whether a text writes the name as a word of its own, case and accents aside: "BERT" is not in
    "RoBERTa". A hyphenated name is also written as its first part ("Megatron-LM", "Megatron").
    With `opening`, the name may also open a longer word: "Normans" and "Loudoun's" write
    "Norman" and "Loudoun", and "Lord" the question's misspelt "Lor"; "codellama" still does not
    write "LLaMA"; and a plural name its singular: "Grammy" writes the question's "Grammys"."""
    return writes_folded(fold(name), fold(text), opening)


def writes_folded(name: str, text: str, opening: bool = False) -> bool:
    """`writes_name` for a name and a text already `fold`ed: a caller that checks several names
    against the same long text folds it once."""
    head = name.split("-")[0]
    end = "" if opening else r"(?![^\W_])"
    forms = {name, head if len(head) >= 4 else name}
    if opening and len(name) >= 5 and name.endswith("s") and not name.endswith("ss"):
        forms.add(name[:-1])  # "Grammys" in the question, "Grammy" in the text
    return any(re.search(rf"(?<![^\W_]){re.escape(n)}{end}", text) is not None for n in forms)


# ---- citations -----------------------------------------------------------------------------------
CITE = re.compile(r"\[(\d{1,2}(?:\s*[,;]\s*\d{1,2})*)\]")  # "[1]", "[2, 3]", "[1;4]"


def without_citations(text: str) -> str:
    """The text without its [n] markers, and without the space each leaves before punctuation:
    "For twenty-two nautical miles [1]." → "For twenty-two nautical miles."."""
    return re.sub(r" ([.,;:!?])", r"\1", " ".join(re.sub(r"\[\d+(?:\s*[,;]\s*\d+)*\]", " ", text).split()))


def parse_citations(answer: str, count: int) -> list[int]:
    """The source numbers an answer cites, in order of first use, each once; numbers outside
    1..`count` are left out."""
    order: list[int] = []
    for m in CITE.finditer(answer):
        for part in re.split(r"[,;]", m.group(1)):
            n = int(part.strip())
            if 1 <= n <= count and n not in order:
                order.append(n)
    return order


# ---- numbers and sentences -----------------------------------------------------------------------
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")


def numbers(text: str) -> set[str]:
    """The numbers a text states, normalised ("1,200" -> "1200", "91%" -> "91", "3.50" -> "3.50"),
    citation markers left out. Numbers are what small models get wrong most often, and they
    cannot be paraphrased: a number that is not in a source did not come from it."""
    out = set()
    for m in _NUMBER.finditer(CITE.sub(" ", text)):
        value = m.group().rstrip(",").replace(",", "")
        if value:
            out.add(value)
    return out


_SENT = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9À-Ý])|\n+")
# Words whose period is not a sentence end: titles before a name, Latin abbreviations, "et al.".
_NEVER_END = frozenset(
    """mr mrs ms dr prof sr jr st mt gen col lt sgt capt gov sen rep rev hon messrs mme mlle e.g i.e
    eg ie cf viz vs al approx ca esp""".split()
)
# Words whose period is not a sentence end when a number follows: "Fig. 3", "No. 5", "Jan. 12".
_BEFORE_NUMBER = frozenset(
    """fig figs eq eqs ref refs no nos vol vols pp p sec ch chap tab art para pl op jan feb mar apr jun
    jul aug sep sept oct nov dec""".split()
)
_LAST_WORD = re.compile(r"([\w.]+)[.]$")
_LIST_MARK = re.compile(r"(?:^|[:;]\s*)\(?(?:\d{1,3}|[a-zA-Z]|[ivxIVX]{1,4})[.)]$")


def _is_break(text: str, start: int, at: int, after: int) -> bool:
    """Whether the candidate break that ends `text[start:at]` (the next sentence starting at
    `after`) is a sentence end, not an initial, a title, an abbreviation or a list number."""
    head = text[start:at].rstrip()
    if not head.endswith("."):
        return True
    m = _LAST_WORD.search(head)
    word = m.group(1).lower() if m else ""
    if not word:
        return True
    if word in _NEVER_END:
        return False
    if word in _BEFORE_NUMBER and text[after:after + 1].isdigit():
        return False
    token = m.group(1) if m else ""
    # an initial ("William E. Simon") or a dotted abbreviation ("U.S.", "e.g.", "Ph.D.")
    if (len(token) == 1 and token.isupper()) or re.fullmatch(r"(?:[A-Za-z]{1,2}\.)+[A-Za-z]{1,2}", token):
        return False
    # a list number or letter that starts the sentence or follows a colon: "1. Open", "Steps: 2. Close"
    return not _LIST_MARK.search(head)


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: a break after . ! ? or … (and closing quotes or brackets)
    followed by whitespace and a capital or a digit, or at a line break; blank spans left out.
    A period is no break after an initial ("William E. Simon"), a title ("Mr.", "Dr."), "et al.",
    "e.g.", "i.e.", a dotted abbreviation ("U.S."), "Fig."/"No."/"Eq." before a number, or a list
    number that opens the sentence ("1. First step"). Rules, not a library: pysbd (the one
    maintained rule-based segmenter on PyPI, last release 2021) took ~37 µs a character here,
    ~0.3 s for the passages of one answer, every one of which is split before the first token."""
    spans, start = [], 0
    for m in _SENT.finditer(text):
        if m.group().strip("\n") == m.group() and not _is_break(text, start, m.start(), m.end()):
            continue  # not a line break and not a sentence end: the sentence goes on
        end = m.start() + len(m.group()) - len(m.group().lstrip("\"')]”’"))  # closing quotes stay
        if text[start:end].strip():
            spans.append((start, end))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans
