"""A notebook's parameters, checked before anything runs.

Each chapter declares, next to its notebook, what every parameter of the notebook's `parameters`
cell may hold (``chapters/<name>/parameters.py``: a dict of `Spec` and the checks that span
several parameters), and the cell after the parameters calls `check`::

    globals().update(parameters.check_parameters(globals()))

A bad value then fails at once, with one error that names every bad parameter, its value and
what is allowed, before a single run is trained or loaded. Values are also normalized: an int
given where a float is meant becomes that float (``-p weight_decay 1`` and ``1.0`` are one
config, one record), and a list or dict given as text (``-p batch_sizes "[8, 16]"``, as papermill
passes it) is parsed as YAML, as ``-y`` would have.

Each Spec also knows values it must refuse (`Spec.bad_values`: one of a wrong type, one out of
range), so a test can try every parameter of every notebook without a hand-written list.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from .config import is_prime


class ParameterError(ValueError):
    """Bad notebook parameters; the message names each one, its value and what is allowed."""


@dataclass(frozen=True)
class Spec:
    """What one parameter may hold. Build specs with Int, Float, Bool, Str, List and Dict."""

    kind: str  # "int", "float", "bool", "str", "list", "dict"
    lo: float | None = None  # inclusive lower bound (exclusive with lo_open)
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    choices: tuple = ()  # the allowed values of a str (or an int among a few)
    none: str = ""  # what None means for this parameter; "" means None is not allowed
    prime: bool = False  # an int that must be prime
    item: Spec | None = None  # a list's items, a dict's values
    key: Spec | None = None  # a dict's keys
    items: tuple = ()  # a tuple's specs, one per position
    min_len: int = 1  # a list's or dict's fewest items
    max_len: int | None = None
    unique: bool = False  # a list without repeats
    rule: Callable[[Any], str] | None = field(default=None, compare=False)  # "" or a problem
    rule_text: str = ""  # the rule in words, for `allowed`

    # ---- what is allowed, in words

    def allowed(self) -> str:
        text = self._allowed()
        if self.rule_text:
            text += f", {self.rule_text}"
        if self.none:
            text += f"; or None ({self.none})"
        return text

    def _allowed(self) -> str:
        if self.choices:
            return "one of " + ", ".join(map(repr, self.choices))
        if self.kind == "bool":
            return "True or False"
        if self.kind in ("int", "float"):
            what = {"int": "a prime" if self.prime else "an integer", "float": "a finite number"}
            return what[self.kind] + self._range()
        if self.kind == "list":
            n = (
                f"{self.min_len} or more"
                if self.max_len is None
                else f"{self.min_len} to {self.max_len}"
            )
            if self.max_len == self.min_len:
                n = str(self.min_len)
            rep = ", without repeats" if self.unique else ""
            return f"a list of {n} items{rep}, each {self.item.allowed()}"
        if self.kind == "dict":
            return f"a mapping of {self.key.allowed()} to {self.item.allowed()}"
        if self.kind == "tuple":
            return "a list [" + ", ".join(s.allowed() for s in self.items) + "]"
        return "a string"

    def _range(self) -> str:
        lo = None if self.lo is None else ("> " if self.lo_open else "≥ ") + _fmt(self.lo)
        hi = None if self.hi is None else ("< " if self.hi_open else "≤ ") + _fmt(self.hi)
        if lo and hi:
            return f" {lo} and {hi}"
        return f" {lo or hi}" if lo or hi else ""

    # ---- checking

    def normalize(self, value: Any) -> Any:
        """The value as the notebook should use it; ValueError (a short reason) if not allowed."""
        if value is None:
            if self.none:
                return None
            raise ValueError("None is not allowed")
        value = getattr(self, f"_{self.kind}")(value)
        if self.rule is not None:
            problem = self.rule(value)
            if problem:
                raise ValueError(problem)
        return value

    def _int(self, v: Any) -> int:
        if isinstance(v, float) and v.is_integer():  # -p seeds 5.0
            v = int(v)
        if not isinstance(v, int) or isinstance(v, bool):
            raise ValueError(f"not an integer ({type(v).__name__})")
        self._in_range(v)
        if self.prime and not is_prime(v):
            raise ValueError("not a prime")
        return v

    def _float(self, v: Any) -> float:
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            raise ValueError(f"not a number ({type(v).__name__})")
        v = float(v)
        if not math.isfinite(v):
            raise ValueError("not finite")
        self._in_range(v)
        return v

    def _in_range(self, v: float) -> None:
        if self.choices and v not in self.choices:
            raise ValueError("not one of the allowed values")
        too_low = self.lo is not None and (v <= self.lo if self.lo_open else v < self.lo)
        too_high = self.hi is not None and (v >= self.hi if self.hi_open else v > self.hi)
        if too_low or too_high:
            raise ValueError("out of range")

    def _bool(self, v: Any) -> bool:
        if not isinstance(v, bool):
            raise ValueError(f"not True or False ({type(v).__name__})")
        return v

    def _str(self, v: Any) -> str:
        if not isinstance(v, str):
            raise ValueError(f"not a string ({type(v).__name__})")
        if self.choices and v not in self.choices:
            raise ValueError("not one of the allowed values")
        return v

    def _list(self, v: Any) -> list:
        v = _parsed(v)
        if isinstance(v, tuple):
            v = list(v)
        if not isinstance(v, list):
            raise ValueError(f"not a list ({type(v).__name__}); pass lists with -y 'name: [...]'")
        self._length(v)
        out = [_item(self.item, x, f"item {i}") for i, x in enumerate(v)]
        if self.unique and len(set(map(repr, out))) < len(out):
            raise ValueError("repeated items")
        return out

    def _tuple(self, v: Any) -> list:
        v = _parsed(v)
        if not isinstance(v, (list, tuple)):
            raise ValueError(f"not a list ({type(v).__name__}); pass lists with -y 'name: [...]'")
        if len(v) != len(self.items):
            raise ValueError(f"{len(v)} items, not {len(self.items)}")
        return [_item(s, x, f"item {i}") for i, (s, x) in enumerate(zip(self.items, v))]

    def _dict(self, v: Any) -> dict:
        v = _parsed(v)
        if not isinstance(v, dict):
            raise ValueError(f"not a mapping ({type(v).__name__}); pass it with -y 'name: {{...}}'")
        self._length(v)
        return {_item(self.key, k, "a key"): _item(self.item, x, f"[{k!r}]") for k, x in v.items()}

    def _length(self, v: list | dict) -> None:
        if len(v) < self.min_len or (self.max_len is not None and len(v) > self.max_len):
            raise ValueError(f"{len(v)} items")

    # ---- values it must refuse, for tests

    def bad_values(self) -> list[Any]:
        """[a value of a wrong type, a value of the right type out of range (if one exists)]."""
        wrong = {
            "int": "abc",
            "float": "abc",
            "bool": 2,
            "str": 3,
            "list": 5,
            "dict": 5,
            "tuple": 5,
        }
        out: list[Any] = [wrong[self.kind]]
        if self.kind == "int":
            out.append(next(v for v in _int_candidates(self) if not _accepts(self, v)))
        elif self.kind == "float":
            out.append(next(v for v in _float_candidates(self) if not _accepts(self, v)))
        elif self.kind == "bool":
            out.append("yes")
        elif self.kind == "str":
            out.append("no-such-value")
        elif self.kind == "list":
            bad_item = self.item.bad_values()[-1]
            out.append([] if self.min_len >= 1 else [bad_item])
            out.append([bad_item] * max(self.min_len, 1))
        elif self.kind == "dict":
            if self.min_len >= 1:
                out.append({})
            out.append({self.key.bad_values()[-1]: _example(self.item)})
        elif self.kind == "tuple":
            first = self.items[0].bad_values()[-1]
            out.append([first] + [_example(s) for s in self.items[1:]])
        return out


def _example(spec: Spec) -> Any:
    """Some value the spec allows (for building bad tuples around one bad item)."""
    if spec.choices:
        return spec.choices[0]
    return {"int": int(spec.lo or 0) + (1 if spec.lo_open else 0), "bool": True}.get(
        spec.kind, spec.lo if spec.lo is not None else ""
    )


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def _parsed(v: Any) -> Any:
    """Text given for a list or dict (papermill -p passes it as a string): parsed as YAML."""
    if isinstance(v, str):
        import yaml

        try:
            return yaml.safe_load(v)
        except yaml.YAMLError:
            return v
    return v


def _item(spec: Spec, v: Any, where: str) -> Any:
    try:
        return spec.normalize(v)
    except ValueError as e:
        raise ValueError(f"{where} = {v!r}: {e}; each must be {spec.allowed()}") from None


def _accepts(spec: Spec, v: Any) -> bool:
    try:
        spec.normalize(v)
        return True
    except ValueError:
        return False


def _int_candidates(spec: Spec) -> list[int]:
    lo = -1 if spec.lo is None else math.floor(spec.lo)
    hi = 10**9 if spec.hi is None else math.ceil(spec.hi)
    return [lo - 1, lo, hi + 1, hi, 4, 100, -1]


def _float_candidates(spec: Spec) -> list[float]:
    lo = -1.0 if spec.lo is None else float(spec.lo)
    hi = 1e12 if spec.hi is None else float(spec.hi)
    return [lo, lo - 1.0, hi, hi + 1.0, math.nan]


# ---- building specs


def Int(
    lo: int | None = None,
    hi: int | None = None,
    *,
    none: str = "",
    prime: bool = False,
    choices: tuple = (),
    rule: Callable[[Any], str] | None = None,
    rule_text: str = "",
) -> Spec:
    return Spec(
        "int", lo, hi, none=none, prime=prime, choices=choices, rule=rule, rule_text=rule_text
    )


def Float(
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
    none: str = "",
    choices: tuple = (),
    rule: Callable[[Any], str] | None = None,
    rule_text: str = "",
) -> Spec:
    return Spec(
        "float", lo, hi, lo_open, hi_open, choices=tuple(map(float, choices)), none=none,
        rule=rule, rule_text=rule_text,
    )  # fmt: skip


def Bool(*, none: str = "") -> Spec:
    return Spec("bool", none=none)


def Str(*choices: str, none: str = "") -> Spec:
    return Spec("str", choices=tuple(choices), none=none)


def List(
    item: Spec,
    min_len: int = 1,
    max_len: int | None = None,
    *,
    none: str = "",
    unique: bool = False,
    rule: Callable[[Any], str] | None = None,
    rule_text: str = "",
) -> Spec:
    return Spec(
        "list",
        item=item,
        min_len=min_len,
        max_len=max_len,
        none=none,
        unique=unique,
        rule=rule,
        rule_text=rule_text,
    )


def Tuple(
    *items: Spec, none: str = "", rule: Callable[[Any], str] | None = None, rule_text: str = ""
) -> Spec:
    """A list of fixed length whose positions have their own specs, e.g. [layout, k]."""
    return Spec("tuple", items=tuple(items), none=none, rule=rule, rule_text=rule_text)


def Dict(key: Spec, value: Spec, min_len: int = 1, *, none: str = "") -> Spec:
    return Spec("dict", key=key, item=value, min_len=min_len, none=none)


# parameters every chapter has
SCALE = Str("smoke", "cpu", "paper")
RECOMPUTE = Bool()
SCALE_VALUE = "the scale's value"


# ---- checking a notebook's parameters


Cross = Callable[[dict[str, Any]], "list[tuple[str, str]]"]


def check(
    specs: Mapping[str, Spec], namespace: Mapping[str, Any], cross: Cross | None = None
) -> dict[str, Any]:
    """The notebook's parameters (`namespace`: its globals), each normalized by its spec; raise
    ParameterError naming every parameter that is not allowed. `cross(values)` then checks what
    spans several parameters (after the scale's values are filled in, say) and returns
    (parameter, problem) pairs; it runs only when every single value is allowed."""
    missing = [name for name in specs if name not in namespace]
    if missing:
        raise ParameterError(f"the notebook defines no parameter {', '.join(missing)}")
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, spec in specs.items():
        value = namespace[name]
        try:
            values[name] = spec.normalize(value)
        except ValueError as e:
            problems.append(
                f"parameter {name}={value!r} is invalid ({e}): allowed {spec.allowed()}"
            )
    if not problems and cross is not None:
        for name, problem in cross(dict(values)):
            problems.append(f"parameter {name}={values.get(name)!r} is invalid: {problem}")
    if problems:
        raise ParameterError("\n".join(problems))
    return values


def describe(specs: Mapping[str, Spec]) -> list[tuple[str, str]]:
    """(parameter, what is allowed) for each spec, e.g. for a table in the book."""
    return [(name, spec.allowed()) for name, spec in specs.items()]


def notebook_defaults(path: str | Path) -> dict[str, Any]:
    """The values a notebook's `parameters` cell defines, in its order (each parameter is an
    annotated assignment, `name: type = value`, which papermill --help-notebook documents);
    read without papermill, so that scripts on machines without it build the notebook's plan."""
    import json

    nb = json.loads(Path(path).read_text())
    [cell] = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
    namespace: dict[str, Any] = {}
    exec("".join(cell["source"]), namespace)
    return {name: namespace[name] for name in namespace.get("__annotations__", {})}


Keep = Callable[[str, dict, Mapping[str, Any]], bool]


def at_scale(
    presets: Mapping[str, Mapping[str, Any]],
    values: Mapping[str, Any],
    scoped: Mapping[str, Keep] | None = None,
) -> dict:
    """The scale's preset (presets[values["scale"]]) with the notebook's own values where it set
    them: grokcore.config.resolve_scale given every parameter the preset names, as the
    notebook's own call gives them (a cross check sees what the notebook will run).

    scoped: parameter -> keep(key, P, values), for a dict the scale keys by the tasks or cells
    it runs (budgets or seeds of chosen tasks). Where the notebook left such a dict None, only
    the scale's entries that keep passes stay, judged in scoped's order at the values P resolved
    so far: a user who runs fewer tasks than the scale does not inherit (and is not blamed for)
    the scale's entries for the others. A dict the user gave is kept whole, for the checks."""
    from .config import resolve_scale

    scale = values["scale"]
    P = resolve_scale(presets, scale, **{k: values[k] for k in presets[scale] if k in values})
    for name, keep in (scoped or {}).items():
        if values.get(name) is None and isinstance(P.get(name), dict):
            P[name] = {k: n for k, n in P[name].items() if keep(k, P, values)}
    return P


def config_problems(
    build: Callable[[], Any], fields: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """Build the configs a notebook will run (nothing is trained); a ConfigError becomes a
    (parameter, problem) pair. The error names a config field (`Class.field=...`): `fields`
    maps a field to the parameter that sets it (default: the parameter of the field's name)."""
    import re

    from .config import ConfigError

    try:
        build()
    except ConfigError as e:
        m = re.match(r"\s*\w+\.(\w+)=", str(e))
        name = m.group(1) if m else "?"
        return [((fields or {}).get(name, name), str(e))]
    return []
