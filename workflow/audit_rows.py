"""An audit row's hash from its columns, written fast: what the verifier computes per event.

The contract's recipe is models.audit.event_hash: sha256 of the canonical JSON of a dict of the
fields. Building that dict and encoding it costs more than the rest of verification, so here
the same text is written out directly in the fixed, sorted key order, each string through the
C encoder that `ensure_ascii=False` uses, and `data` given already canonical.
tests/workflow/test_audit_rows.py proves the text byte-identical to the recipe's.
"""

import hashlib
import json
from json.decoder import JSONDecoder
from json.encoder import c_make_encoder, encode_basestring
from json.scanner import make_scanner

from models.audit import _CANONICAL, HASHED_FIELDS, canonical_json, event_hash

# The decoder json.loads uses and the encoder canonical_json uses, each built once and called
# without json's per-call Python layers (they cost more than the C parsing and writing).
_scan = make_scanner(JSONDecoder())
_encode = (c_make_encoder(None, _CANONICAL.default, encode_basestring, None, ":", ",", True,
                          False, True) if c_make_encoder is not None else None)


def canonical_data(stored: str | None) -> str:
    """canonical_json(json.loads(stored)), or "null" for a NULL column."""
    if stored is None:
        return "null"
    if _encode is not None:
        try:
            value, end = _scan(stored, 0)
        except StopIteration:
            end = -1
        if end == len(stored):
            return "".join(_encode(value, 0))
    # Whitespace around the value, or not JSON at all: json.loads decides (and raises).
    return canonical_json(json.loads(stored))


def row_hash(plan_id, seq, at, actor, action, from_state, to_state, content_version, comment,
             data_json, prev_hash) -> str:
    """event_hash of a row whose `data` is given as canonical_data's text, for columns of
    the types the schema gives (numbers go through repr, so a value of another type gives
    another text and fails to match rather than passing for the number)."""
    es = encode_basestring
    body = (f'{{"action":{es(action)},"actor":{es(actor)},"at":{es(at)},'
            f'"comment":{"null" if comment is None else es(comment)},'
            f'"content_version":{"null" if content_version is None else repr(content_version)},'
            f'"data":{data_json},'
            f'"from_state":{"null" if from_state is None else es(from_state)},'
            f'"plan_id":{"null" if plan_id is None else repr(plan_id)},"prev_hash":{es(prev_hash)},'
            f'"seq":{seq!r},"to_state":{"null" if to_state is None else es(to_state)}}}')
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def reference_hash(row: tuple) -> str:
    """The contract's recipe on a row of the eleven hashed columns, `data` as stored text."""
    values = (*row[:9], None if row[9] is None else json.loads(row[9]), row[10])
    return event_hash(dict(zip(HASHED_FIELDS, values, strict=True)))


def recipe_matches(row: tuple, stored_hash: str) -> bool:
    """Whether `stored_hash` is reference_hash of the row. A value no event napflow writes can
    hold cannot be what was hashed, so it does not match (and does not end the verify in an
    error): a `data` text that is not JSON (SQLite keeps any text), JSON nested deeper than
    Python reads, a string UTF-8 cannot carry, as an escaped half of a surrogate pair (both
    of which PostgreSQL's json type accepts), or a blob where SQLite should hold text."""
    try:
        return reference_hash(row) == stored_hash
    except (ValueError, TypeError, RecursionError):
        return False
