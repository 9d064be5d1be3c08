"""Declarative specifications: the base model and one translation of validation errors.

Every specification a user writes (a methodology TOML, a project file, an
``[uncertainty]`` table, an API request body) is a pydantic model derived from
:class:`Spec`: frozen, unknown keys forbidden, numbers strictly typed (``true``
or ``"5"`` is not a number, ``inf`` and ``nan`` are refused), each default
written once, on the field. :func:`parse` validates a parsed document and turns
the first problem into the project's own error, naming the file and the key
as the document spells it (``indicator[0] (a).weight``, ``clustering.eps_km``)
with a hint, so every shell reports it the same way.

Rules that span fields (a tree without cycles, a period that runs forwards)
live in the models' validators and raise :class:`~techhubs.errors.TechhubsError`
subclasses directly, with their own key.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Self, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from techhubs.errors import TechhubsError

S = TypeVar("S", bound="Spec")


class Spec(BaseModel):
    """Base of every specification model (frozen, strict, no unknown keys)."""

    # defer_build: a model's validator is built when it first validates, not at import,
    # so that a command pays only for the specifications it reads
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False,
                              validate_default=False, defer_build=True)

    def replace(self, **changes: Any) -> Self:
        """A validated copy with some fields changed (raises ``ValidationError``)."""
        return type(self).model_validate({**self.fields_dict(), **changes})

    def fields_dict(self) -> dict[str, Any]:
        """The fields as given (nested specs kept as objects), for copies and TOML."""
        return {name: getattr(self, name) for name in type(self).model_fields}


# --------------------------------------------------------------- shared types
def invalid(kind: str, message: str, hint: str | None = None,
            key: str | None = None) -> PydanticCustomError:
    """A validation error with a finished message for :func:`translate`; ``key`` names
    the entry below the field that is wrong (``min_weight`` -> ``min_weight.patents``)."""
    ctx = {k: v for k, v in (("hint", hint), ("key", key)) if v}
    return PydanticCustomError(kind, message.replace("{", "{{").replace("}", "}}"),
                               ctx or None)


def choice(allowed: Sequence[str], what: str = "method") -> AfterValidator:
    """A validator for a name from ``allowed`` that suggests the closest one."""

    def check(value: str) -> str:
        if value not in allowed:
            close = difflib.get_close_matches(value, list(allowed), n=1)
            hint = (f"did you mean {close[0]!r}? " if close else "") + \
                f"choose from: {', '.join(allowed)}"
            raise invalid("unknown_choice", f"unknown {what} {value!r}", hint)
        return value

    return AfterValidator(check)


FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
Weight = Annotated[float, Field(ge=0.0, le=1e12, description="a weight >= 0")]
"""A weight: finite, >= 0, and at most 1e12, so that sums of products cannot overflow."""
HalfWidth = Annotated[float, Field(ge=0.0, lt=1.0,
                                   description="relative half-width in [0, 1), 0.25 = +-25 %")]
Sequenced = Field(strict=False)  # a TOML/JSON list where the model keeps a tuple


def _integral(value: Any) -> Any:
    # JSON has one number type: 607.0 is the integer 607 (JSON Schema agrees); 607.5 is not
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeNumber = Annotated[int, BeforeValidator(_integral)]
"""An integer as JSON writes it: ``607`` or ``607.0``, never ``607.5``, ``"607"`` or true."""


# ------------------------------------------------------------ error messages
_TYPE_WORDS = {
    "int_type": "int", "int_parsing": "int", "int_from_float": "int",
    "float_type": "a number", "float_parsing": "a number", "string_type": "text",
    "bool_type": "true or false", "bool_parsing": "true or false",
    "dict_type": "a table", "model_type": "a table", "model_attributes_type": "a table",
    "list_type": "a list", "tuple_type": "a list", "too_short": None, "too_long": None,
}


def _label(loc: Sequence[Any], raw: Any) -> str:
    """``('indicator', 0, 'weight')`` -> ``indicator[0] (a).weight`` (the item's code)."""
    out = ""
    node = raw
    for i, part in enumerate(loc):
        # a union's branch tag ("float", "dict[str,float]") is no key of the document
        if isinstance(part, str) and i < len(loc) - 1 and not (
                isinstance(node, Mapping) and part in node):
            continue
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, Sequence) and not isinstance(node, str) \
                and part < len(node) else None
            if isinstance(node, Mapping) and isinstance(node.get("code"), str):
                out += f" ({node['code']})"
        else:
            out += ("." if out else "") + str(part)
            node = node.get(part) if isinstance(node, Mapping) else None
    return out


def _message(err: Mapping[str, Any], allowed: Sequence[str]) -> tuple[str, str | None]:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    field = err["loc"][-1] if err["loc"] else ""
    value = err.get("input")
    if kind == "extra_forbidden":
        return f"unknown key {field!r}", (f"allowed: {', '.join(allowed)}" if allowed else None)
    if kind == "missing":
        return f"missing {field!r}", None
    if kind == "finite_number":
        return f"must be a finite number, got {value!r}", None
    if kind in ("greater_than_equal", "greater_than", "less_than", "less_than_equal"):
        sign = {"greater_than_equal": ">=", "greater_than": ">", "less_than": "<",
                "less_than_equal": "<="}[kind]
        bound = next(iter(v for k, v in ctx.items() if k in ("ge", "gt", "lt", "le")))
        return f"must be {sign} {bound:g}, got {value!r}", None
    if kind in ("too_short", "too_long"):
        return f"must have {ctx.get('min_length', ctx.get('max_length'))} item(s)", None
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}, got {value!r}", None
    word = _TYPE_WORDS.get(kind)
    if word:
        return f"must be {word}, got {type(value).__name__} {value!r}", None
    msg = str(err.get("msg", "invalid"))
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg, ctx.get("hint")


def _allowed(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """The keys allowed where an unknown key was found (the model at ``loc[:-1]``)."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or current is None:
            continue
        info = getattr(current, "model_fields", {}).get(part)
        current = _model_of(info.annotation) if info else None
    fields = getattr(current, "model_fields", None)
    return list(fields) if fields else []


def _model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def translate(exc: ValidationError, model: type[BaseModel], raw: Any, *,
              error: type[TechhubsError], file: str | Path | None = None,
              prefix: str = "") -> TechhubsError:
    """The first problem of a pydantic ``ValidationError`` as ``error(message, file, key,
    hint)``; the key is the document's own spelling, after ``prefix``."""
    err = exc.errors(include_url=False)[0]
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    message, hint = _message(err, _allowed(model, loc))
    below = (err.get("ctx") or {}).get("key")
    key = ".".join(str(p) for p in (prefix, _label(loc, raw), below) if p) or None
    extra = len(exc.errors()) - 1
    if extra and hint is None:
        hint = f"{extra} more problem(s) in this document"
    return error(message, file=file, key=key, hint=hint)


def parse(model: type[S], raw: Any, *, error: type[TechhubsError],
          file: str | Path | None = None, prefix: str = "") -> S:
    """Validate ``raw`` (a parsed TOML/JSON document) into ``model``, or raise ``error``."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise translate(exc, model, raw, error=error, file=file, prefix=prefix) from None


__all__ = ["FiniteFloat", "HalfWidth", "NonNegative", "Positive", "Sequenced", "Spec", "Weight",
           "choice", "invalid", "parse", "translate"]


# ------------------------------------------------------------------ documents
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def read_toml(path: Path, *, error: type[TechhubsError]) -> dict[str, Any]:
    """Parse the TOML document at ``path``; any problem is ``error`` naming file and line.

    TOML is UTF-8 by definition; a UTF-16 file (as some Windows editors save) or a
    binary file is refused with a hint, as is nesting deeper than the parser allows.
    """
    if path.is_dir():
        raise error("is a directory, not a TOML file", file=path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise error(f"cannot be read ({exc.strerror})", file=path) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        hint = ("the file is UTF-16: save it as UTF-8" if data[:2] in _UTF16_BOMS
                else "TOML files are UTF-8 text; is this the right file?")
        raise error(f"not UTF-8 text (byte {exc.start})", file=path, line=line,
                    hint=hint) from None
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_POSITION.search(str(exc))
        raise error(f"invalid TOML: {_TOML_POSITION.sub('', str(exc)).strip()}", file=path,
                    line=int(found.group(1)) if found else None,
                    hint="see https://toml.io for the syntax") from None
    except RecursionError:
        raise error("invalid TOML: nested deeper than the parser allows", file=path,
                    hint="a methodology or project needs only a few levels of tables") from None
