"""Fields for names from a closed set, and the non-blank rule, as the document states them."""

import re
from collections.abc import Callable, Iterable

from marshmallow import ValidationError, fields

# A character that is not whitespace for Python's str.strip() nor for an ECMA-262 regex `\s`
# (which differ on \x1c-\x1f, \x85 and \ufeff), so the document's pattern and the server agree
# whichever engine a client checks it with.
NON_BLANK_CHARACTER = r"[^\s\x1c-\x1f\x85\ufeff]"
_NON_BLANK = re.compile(NON_BLANK_CHARACTER)


def is_blank(value: str) -> bool:
    return _NON_BLANK.search(value) is None


def not_blank(value: str) -> None:
    if is_blank(value):
        raise ValidationError("Must not be blank.")


class Term(fields.String):
    """A name from a closed set, documented as the named enum component `component`.

    `values` is the set, or a function giving it when asked (the workflows' names). With
    `check=False` the field only documents the set: the operation itself refuses a name
    outside it, with its own problem code (an unknown trigger is `unknown_trigger`).
    """

    def __init__(self, component: str, values: Iterable[str] | Callable[[], Iterable[str]],
                 *, check: bool = True, error: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.component = component
        self._values = values
        self.check = check
        self.error = error

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(self._values() if callable(self._values) else self._values)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if self.check and text not in self.values:
            raise ValidationError(self.error or f"Must be one of: {', '.join(self.values)}.")
        return text


class StrictBoolean(fields.Boolean):
    """JSON true or false, nothing else: marshmallow's Boolean also takes "yes", "on" or 1."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value
