"""What changed between two content versions of a plan: by measure, and word by word inside."""

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Literal

from models import canonical_json

# The fields compared word by word; the others (dates, sets of names, flags) are shown whole,
# old value then new, since half a date or half a list of domains means nothing to a reader.
TEXT_FIELDS = ("summary", "description", "lead_agency")
MEASURE_FIELDS = ("obligation", "description", "lead_agency", "due", "domains",
                  "assistance_needed", "status")
# Two measures at least this alike are one measure changed; below it, one removed and another
# added. Half: a measure whose description was reworded and whose status moved is still the
# same measure to its reader; one with a new description and a new lead agency is not.
SAME_MEASURE = 0.5
# How much of a measure's likeness is its description (the rest: its other fields, equally).
DESCRIPTION_WEIGHT = 0.6
# Pairing inside one run of changed measures compares every old with every new measure: past
# this many pairs, fall back to pairing by position, so a huge rewrite costs a linear pass.
MAX_COMPARED_PAIRS = 2500
# Past this many (old word, new word) pairs in one run of changed sentences, the run is
# marked removed and added whole rather than compared word by word (about 1,000 words each).
MAX_COMPARED_WORDS = 1_000_000

PieceKind = Literal["equal", "insert", "delete"]
MeasureKind = Literal["added", "removed", "changed", "unchanged"]

# A word, or a run of punctuation: "exports." becoming "exports and borders." is two words
# added before the full stop, not one word replaced by three.
_WORD = re.compile(r"\w+|[^\w\s]+")


@dataclass(frozen=True)
class Piece:
    """A run of text that is in both versions, only in the new one, or only in the old."""

    kind: PieceKind
    text: str


@dataclass(frozen=True)
class FieldChange:
    """One field that differs. A text field also has its two versions as pieces, to be shown
    stacked: `before` (the old text, removed words marked) above `after` (the new text, added
    words marked); other fields have only `old` and `new`."""

    name: str
    old: Any
    new: Any
    before: tuple[Piece, ...] = ()
    after: tuple[Piece, ...] = ()


@dataclass(frozen=True)
class MeasureChange:
    kind: MeasureKind
    old_index: int | None  # position in the old version's measures, from 0
    new_index: int | None
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    fields: tuple[FieldChange, ...] = ()

    @property
    def measure(self) -> dict[str, Any]:
        """The measure as it stands at the end (the old one when it was removed)."""
        return self.new if self.new is not None else self.old  # type: ignore[return-value]


@dataclass(frozen=True)
class ContentDiff:
    fields: tuple[FieldChange, ...]  # summary, period.start, period.end
    measures: tuple[MeasureChange, ...]

    @property
    def changed(self) -> bool:
        return bool(self.fields) or any(m.kind != "unchanged" for m in self.measures)

    def count(self, kind: MeasureKind) -> int:
        return sum(1 for m in self.measures if m.kind == kind)


def word_diff(old: str, new: str) -> tuple[tuple[Piece, ...], tuple[Piece, ...]]:
    """The old text with its removed words marked, and the new with its added words marked.

    Words are compared without the spacing between them, so a re-wrapped line is no change;
    the pieces of each half join into exactly its text, and the spacing around a change
    stays outside the mark (`<del>` and `<ins>` hold words only).
    """
    old_words, new_words = list(_WORD.finditer(old)), list(_WORD.finditer(new))
    old_texts, new_texts = [w.group() for w in old_words], [w.group() for w in new_words]
    removed, added = [False] * len(old_words), [False] * len(new_words)
    # Sentences first, then words inside the sentences that changed: comparing every word of
    # a long text with every other costs the square of its length (3.7 s for a 3,000-word
    # summary); its sentences are few and rarely alike, and only the changed ones are read
    # word by word.
    old_cuts, new_cuts = _sentences(old_texts), _sentences(new_texts)
    sentences = SequenceMatcher(None, [tuple(old_texts[a:b]) for a, b in old_cuts],
                                [tuple(new_texts[a:b]) for a, b in new_cuts], autojunk=False)
    for op, i1, i2, j1, j2 in sentences.get_opcodes():
        if op == "equal":
            continue
        a1, a2 = (old_cuts[i1][0], old_cuts[i2 - 1][1]) if i2 > i1 else (0, 0)
        b1, b2 = (new_cuts[j1][0], new_cuts[j2 - 1][1]) if j2 > j1 else (0, 0)
        if (a2 - a1) * (b2 - b1) > MAX_COMPARED_WORDS:  # a rewrite: marked whole
            removed[a1:a2], added[b1:b2] = [True] * (a2 - a1), [True] * (b2 - b1)
            continue
        # autojunk off: it treats words frequent in a long text ("the") as junk and then
        # matches nothing around them, which breaks a paragraph into one removal and one
        # addition.
        words = SequenceMatcher(None, old_texts[a1:a2], new_texts[b1:b2], autojunk=False)
        for wop, k1, k2, l1, l2 in words.get_opcodes():
            if wop != "equal":
                removed[a1 + k1:a1 + k2] = [True] * (k2 - k1)
                added[b1 + l1:b1 + l2] = [True] * (l2 - l1)
    return _pieces(old, old_words, removed, "delete"), _pieces(new, new_words, added, "insert")


def _sentences(words: list[str]) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `words`: each ends after a full stop, question or
    exclamation mark, or a semicolon (a run of punctuation is one word, see _WORD)."""
    cuts, start = [], 0
    for k, word in enumerate(words):
        if word[-1] in ".!?;":
            cuts.append((start, k + 1))
            start = k + 1
    if start < len(words):
        cuts.append((start, len(words)))
    return cuts


def _pieces(text: str, words: list[re.Match], changed: list[bool],
            kind: PieceKind) -> tuple[Piece, ...]:
    """`text` cut where its words' marks change: runs of (kind, start, end), joined last (a
    run grown word by word would copy its text for each word)."""
    runs: list[list] = []

    def add(run_kind: PieceKind, start: int, end: int) -> None:
        if start == end:
            return
        if runs and runs[-1][0] == run_kind:
            runs[-1][2] = end
        else:
            runs.append([run_kind, start, end])

    end = 0
    for k, word in enumerate(words):
        # The space between two changed words is part of the change: one mark, not two.
        joined = changed[k] and k > 0 and changed[k - 1]
        add(kind if joined else "equal", end, word.start())
        add(kind if changed[k] else "equal", word.start(), word.end())
        end = word.end()
    add("equal", end, len(text))
    return tuple(Piece(run_kind, text[start:stop]) for run_kind, start, stop in runs)


def _field_change(name: str, old: Any, new: Any) -> FieldChange | None:
    if old == new:
        return None
    if name in TEXT_FIELDS and isinstance(old, str | None) and isinstance(new, str | None):
        return FieldChange(name, old, new, *word_diff(old or "", new or ""))
    return FieldChange(name, old, new)


def _measure_fields(old: dict[str, Any], new: dict[str, Any]) -> tuple[FieldChange, ...]:
    names = [*MEASURE_FIELDS, *sorted((old.keys() | new.keys()) - set(MEASURE_FIELDS))]
    return tuple(c for name in names
                 if (c := _field_change(name, old.get(name), new.get(name))) is not None)


def words_of(measure: dict[str, Any]) -> Counter[str]:
    """The words of a measure's description, counted: what `similarity` compares."""
    return Counter(_WORD.findall(str(measure.get("description", "")).lower()))


def similarity(old: dict[str, Any], new: dict[str, Any],
               old_words: Counter[str] | None = None,
               new_words: Counter[str] | None = None) -> float:
    """How alike two measures are, from 0 to 1: mostly the words their descriptions share,
    in any order (as SequenceMatcher.quick_ratio counts them: enough to tell a reworded
    measure from another one, in one pass over each, where the pairing compares every old
    with every new measure of a run); the rest, their other fields that are equal.
    `old_words`, `new_words`: their words_of, when counted already."""
    a = words_of(old) if old_words is None else old_words
    b = words_of(new) if new_words is None else new_words
    total = a.total() + b.total()
    words = 2 * (a & b).total() / total if total else 1.0
    others = [name for name in MEASURE_FIELDS if name != "description"]
    same = sum(1 for name in others if old.get(name) == new.get(name)) / len(others)
    return DESCRIPTION_WEIGHT * words + (1 - DESCRIPTION_WEIGHT) * same


def _pair(old: Sequence[dict], new: Sequence[dict]) -> list[tuple[int | None, int | None]]:
    """Pairs (old position, new position) within a run of changed measures, in order; None
    on one side for a measure only in the other.

    An order-keeping alignment that maximises the summed likeness of the pairs it makes
    (each at least SAME_MEASURE): a measure inserted above one that was reworded pairs the
    reworded one with its old self, not with the newcomer that took its position.
    """
    n, m = len(old), len(new)
    if n * m > MAX_COMPARED_PAIRS:
        return _pair_by_position(old, new)
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    old_words, new_words = [words_of(o) for o in old], [words_of(w) for w in new]
    alike = [[similarity(o, w, old_words[i], new_words[j]) for j, w in enumerate(new)]
             for i, o in enumerate(old)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            best = max(score[i + 1][j], score[i][j + 1])
            if alike[i][j] >= SAME_MEASURE:
                best = max(best, alike[i][j] + score[i + 1][j + 1])
            score[i][j] = best
    pairs: list[tuple[int | None, int | None]] = []
    i = j = 0
    while i < n and j < m:
        if alike[i][j] >= SAME_MEASURE and score[i][j] == alike[i][j] + score[i + 1][j + 1]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif score[i][j] == score[i + 1][j]:
            pairs.append((i, None))
            i += 1
        else:
            pairs.append((None, j))
            j += 1
    pairs += [(k, None) for k in range(i, n)] + [(None, k) for k in range(j, m)]
    return pairs


def _pair_by_position(old: Sequence[dict], new: Sequence[dict]):
    pairs: list[tuple[int | None, int | None]] = []
    for k in range(max(len(old), len(new))):
        if k < len(old) and k < len(new) and similarity(old[k], new[k]) >= SAME_MEASURE:
            pairs.append((k, k))
        else:
            pairs += [(k, None)] * (k < len(old)) + [(None, k)] * (k < len(new))
    return pairs


def measure_diff(old: Sequence[dict], new: Sequence[dict]) -> tuple[MeasureChange, ...]:
    """The measures of two versions, paired up.

    Measures have no ids (the content is a plain list a drafter edits), so which old measure
    a new one is must be guessed. Whole measures are first matched as they stand by
    SequenceMatcher, which keeps the order (the list's order is the plan's): those are
    unchanged. Between two unchanged runs, the old and new measures left over are paired by
    likeness, in order (see _pair): a pair is one measure changed, the rest added or removed.
    """
    keys = SequenceMatcher(None, [canonical_json(m) for m in old],
                           [canonical_json(m) for m in new], autojunk=False)
    changes: list[MeasureChange] = []
    for op, i1, i2, j1, j2 in keys.get_opcodes():
        if op == "equal":
            changes += [MeasureChange("unchanged", i, j, old[i], new[j])
                        for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
            continue
        for a, b in _pair(old[i1:i2], new[j1:j2]):
            i = None if a is None else i1 + a
            j = None if b is None else j1 + b
            if i is None:
                changes.append(MeasureChange("added", None, j, None, new[j]))  # type: ignore[index]
            elif j is None:
                changes.append(MeasureChange("removed", i, None, old[i], None))
            else:
                changes.append(MeasureChange("changed", i, j, old[i], new[j],
                                             _measure_fields(old[i], new[j])))
    return tuple(changes)


def content_diff(old: dict[str, Any], new: dict[str, Any]) -> ContentDiff:
    """Compare two contents in normal form (workflow/content.normalize_content)."""
    old_period, new_period = old.get("period") or {}, new.get("period") or {}
    fields = [_field_change("summary", old.get("summary"), new.get("summary")),
              _field_change("period.start", old_period.get("start"), new_period.get("start")),
              _field_change("period.end", old_period.get("end"), new_period.get("end"))]
    return ContentDiff(tuple(f for f in fields if f is not None),
                       measure_diff(old.get("measures") or [], new.get("measures") or []))
