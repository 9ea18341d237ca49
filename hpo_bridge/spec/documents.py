"""Spec documents from untrusted hands: read a file safely, parse YAML or JSON strictly.

Every way a document can hurt the reader is refused with one line, quickly:

- the path is not a regular file (a FIFO would block the read forever, /dev/zero never
  ends): refused before reading, from an `fstat` of a non-blocking open;
- the file is larger than `MAX_DOCUMENT_BYTES` (1 MiB: a spec with 10,000 categorical
  values is about 120 KB), or is not UTF-8 text;
- nesting deeper than `MAX_DEPTH` levels (PyYAML's composer and every walk over the
  data recurse once per level: 1,000 levels end in a RecursionError);
- YAML aliases that expand the document to more than `MAX_NODES` nodes (an "alias
  bomb": nine lines of `&a [*b, *b, ...]` stand for billions of values), or that refer
  to a node containing them (a cycle);
- in YAML, the strict loader also refuses duplicate keys and keys that are lists or
  mappings.

A `.json` file is parsed as JSON (JSON's own errors, no YAML limits such as PyYAML's
1,024-character limit on keys); anything else as YAML, which JSON is a subset of.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from hpo_bridge.spec.errors import Problem, SpecError, shown

MAX_DOCUMENT_BYTES = 1 << 20  # 1 MiB
MAX_DEPTH = 100  # levels of nesting; a spec needs fewer than ten
MAX_NODES = 1_000_000  # values after YAML aliases are expanded (a plain 1 MiB document
# holds at most about 500,000)

_FILE_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _cut(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _value_problem(exc: ValueError) -> str:
    """A value the parser could not convert, in the user's terms."""
    digits = re.search(r"value has (\d+) digits", str(exc))
    if digits:  # Python converts at most 4,300 digits (CVE-2020-10735)
        return f"a number of {int(digits.group(1)):,} digits (at most 4,300 are read)"
    return _cut(str(exc))


def _refuse(source: str | None, message: str) -> SpecError:
    return SpecError([Problem("", message)], source)


# -- reading ---------------------------------------------------------------------------------
def read_document(path: str | Path, what: str = "spec") -> str:
    """The text of the document file at `path`; SpecError (naming the file) when it
    cannot be read, is not a regular file, is too large or is not UTF-8."""
    p = Path(path)
    source = str(p)
    try:
        # Non-blocking: opening a FIFO for reading must not wait for a writer.
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise _refuse(source, f"cannot read {what}: {exc.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode
        for test, kind in _FILE_KINDS:
            if test(mode):
                raise _refuse(source, f"cannot read {what}: {kind}, not a regular file")
        data = _read_at_most(fd, MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        raise _refuse(source, f"cannot read {what}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise _refuse(source, f"larger than {MAX_DOCUMENT_BYTES:,} bytes (1 MiB), the most"
                              f" a {what} file may hold")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _refuse(source, f"not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line}"
                              f" (offset {exc.start})") from None


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = os.read(fd, min(1 << 16, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def is_json_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".json"


def parse_document(text: str, source: str = "<string>", *, json_format: bool = False) -> Any:
    """Parse a document as JSON (`json_format`) or YAML, within the limits above."""
    return parse_json(text, source) if json_format else parse_yaml(text, source)


# -- YAML -------------------------------------------------------------------------------------
class _DepthGuard(yaml.composer.Composer):
    """PyYAML's composer, refusing nesting deeper than MAX_DEPTH: it recurses once per
    level, so 1,000 levels end in a RecursionError."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep",
                    self.peek_event().start_mark)  # type: ignore[attr-defined]
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


try:  # libyaml's parser, bundled with PyYAML's wheels: parsing 10x faster
    from yaml.cyaml import CParser as _CParser  # type: ignore[attr-defined]

    _LIBYAML = True
except ImportError:  # pragma: no cover - a PyYAML built without libyaml
    _LIBYAML = False

if _LIBYAML:
    class _StrictLoader(_DepthGuard, _CParser, yaml.constructor.SafeConstructor,
                        yaml.resolver.Resolver):
        """libyaml parses (iteratively, in C); PyYAML composes (with the depth guard) and
        constructs (safely, refusing duplicate keys: PyYAML keeps the last one silently)."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
else:  # pragma: no cover
    class _StrictLoader(_DepthGuard, yaml.SafeLoader):  # type: ignore[no-redef]
        """PyYAML's pure-Python SafeLoader, with the same guards."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False):
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                "a key must be a plain value, not a list or mapping",
                key_node.start_mark,
            ) from None
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {shown(key)}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_StrictLoader.add_constructor(  # type: ignore[type-var]
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


class _Expansion(Exception):
    """The node graph is too large once aliases are expanded, or has a cycle."""


def _check_expansion(root: yaml.Node) -> None:
    """Count the nodes of the document as if every alias were copied out, without
    copying: each distinct node's expanded size is computed once (the graph can be
    walked recursively: its depth is bounded by MAX_DEPTH)."""
    sizes: dict[int, int] = {}
    walking: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        known = sizes.get(key)
        if known is not None:
            return known
        if key in walking:
            raise _Expansion("an alias refers to a node that contains it (a cycle)")
        walking.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        walking.discard(key)
        if total > MAX_NODES:
            raise _Expansion(f"aliases expand it to more than {MAX_NODES:,} values"
                             " (an alias bomb?)")
        sizes[key] = total
        return total

    size(root)


def parse_yaml(text: str, source: str = "<string>") -> Any:
    """Parse YAML safely; errors become a SpecError naming the line."""
    try:
        return _load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown place"
        what = exc.problem or exc.context or "invalid YAML"
        if what == "exceeded maximum nesting depth":  # libyaml's own limit (1,000 levels),
            what = f"nested more than {MAX_DEPTH} levels deep"  # met before the composer's
        raise _refuse(source, f"YAML error at {where}: {what}") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else "?"
        char = exc.character
        char_text = f"#x{char:04x}" if isinstance(char, int) else repr(char)
        what = f"unacceptable character {char_text}: {exc.reason}"
        raise _refuse(source, f"YAML error at line {line}: {what}") from None
    except yaml.YAMLError as exc:
        flat = " ".join(str(exc).split())
        raise _refuse(source, f"YAML error: {flat}") from None
    except _Expansion as exc:
        raise _refuse(source, f"YAML error: {exc}") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise _refuse(source, f"YAML error: {_value_problem(exc)}") from None


def _load(text: str) -> Any:
    loader = _StrictLoader(text)  # (its reader already checks the characters)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


# -- JSON -------------------------------------------------------------------------------------
class _NotJson(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _NotJson(f"duplicate key {shown(key)}")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON value")


def _depth_problem(data: Any) -> str | None:
    """The nesting problem of parsed JSON, walked without recursion."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} levels deep"
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return None


def parse_json(text: str, source: str = "<string>") -> Any:
    """Parse JSON strictly (no duplicate keys, no NaN or Infinity, bounded nesting)."""
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise _refuse(source, f"JSON error at line {exc.lineno}, column {exc.colno}:"
                              f" {exc.msg}") from None
    except RecursionError:
        raise _refuse(source, f"JSON error: nested more than {MAX_DEPTH} levels deep") from None
    except _NotJson as exc:
        raise _refuse(source, f"JSON error: {exc}") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise _refuse(source, f"JSON error: {_value_problem(exc)}") from None
    problem = _depth_problem(data)
    if problem is not None:
        raise _refuse(source, f"JSON error: {problem}")
    return data
