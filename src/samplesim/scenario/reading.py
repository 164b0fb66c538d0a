"""Reading a scenario file safely: only a regular file, at most ``MAX_FILE_BYTES``, nesting at
most ``MAX_DEPTH`` deep and integers within ``MAX_INTEGER``; anything else is a
:class:`ScenarioError` naming the file (and the key path where there is one)."""

from __future__ import annotations

import errno
import os
import stat
import tomllib
from pathlib import Path
from typing import Any

from samplesim.limits import MAX_DEPTH, MAX_FILE_BYTES, MAX_INTEGER
from samplesim.scenario.errors import Problem, ScenarioError

__all__ = ["check_raw", "read_toml"]


def _fail(source: str, message: str, path: str = "") -> ScenarioError:
    return ScenarioError(source, [Problem(path, message)])


def _read_bytes(path: Path, source: str) -> bytes:
    try:
        st = os.stat(path)  # follows symlinks; a loop raises ELOOP
    except FileNotFoundError:
        raise _fail(source, "file not found") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _fail(source, "symbolic link loop; not a scenario file") from None
        raise _fail(source, f"cannot read the file ({exc.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise _fail(source, "is a directory, not a scenario file")
    if not stat.S_ISREG(st.st_mode):
        raise _fail(source, "is not a regular file (a FIFO, socket or device); not reading it")
    if st.st_size > MAX_FILE_BYTES:
        raise _fail(source, f"file is {st.st_size} bytes, over the limit of {MAX_FILE_BYTES}")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):  # swapped since the stat
                raise _fail(source, "is not a regular file; not reading it")
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _fail(source, f"cannot read the file ({exc.strerror})") from None
    if len(data) > MAX_FILE_BYTES:
        raise _fail(source, f"file is over the limit of {MAX_FILE_BYTES} bytes")
    return data


def _key(path: str, k: Any) -> str:
    return f"{path}[{k}]" if isinstance(k, int) else (f"{path}.{k}" if path else str(k))


def check_raw(raw: Any, source: str) -> None:
    """Raise a :class:`ScenarioError` when ``raw`` nests deeper than ``MAX_DEPTH`` or holds an
    integer beyond ``MAX_INTEGER`` (checked without recursion)."""
    problems: list[Problem] = []
    stack: list[tuple[Any, str, int]] = [(raw, "", 0)]
    while stack and len(problems) < 10:
        node, path, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth >= MAX_DEPTH:
                problems.append(Problem(path, f"nested more than {MAX_DEPTH} levels deep"))
                continue
            items = node.items() if isinstance(node, dict) else enumerate(node)
            stack.extend((v, _key(path, k), depth + 1) for k, v in items)
        elif isinstance(node, int) and not isinstance(node, bool) and abs(node) > MAX_INTEGER:
            problems.append(
                Problem(path, f"integer too large (the limit is 2**53 = {MAX_INTEGER})")
            )
    if problems:
        problems.sort(key=lambda p: p.path)
        raise ScenarioError(source, problems)


def read_toml(path: Path, source: str) -> dict[str, Any]:
    """The checked TOML data of the scenario file ``path`` (``source`` names it in errors)."""
    try:
        text = _read_bytes(Path(path), source).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(source, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(source, f"TOML syntax error: {exc}") from None
    except RecursionError:
        raise _fail(source, f"nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # an integer literal over Python's 4300-digit limit
        raise _fail(source, f"a number cannot be read ({str(exc).split(':')[0]})") from None
    check_raw(raw, source)
    return raw
