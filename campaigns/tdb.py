"""Thermodynamic databases (TDB files): where one is, which elements it covers, its hash.

A spec or the CLI names a database either by path or as ``pycalphad:NAME`` — one of the
TDB files the installed pycalphad package ships for its own tests (``alcocrni.tdb`` is an
Al-Co-Cr-Ni database). Those files are found at run time through the package's location,
never copied into this repository.

Everything here is standard library only: validating a spec or starting the CLI must not
import pycalphad (a few seconds).
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

PYCALPHAD_PREFIX = "pycalphad:"
_ELEMENT = re.compile(r"^\s*ELEMENT\s+(\S+)", re.IGNORECASE | re.MULTILINE)
_NOT_ELEMENTS = {"/-", "VA"}  # the electron gas and vacancies of the TDB format


class TdbError(ValueError):
    """A database cannot be used; the message names the value and the fix."""


def pycalphad_databases_dir() -> Path:
    """The folder of the TDB files the installed pycalphad ships for its tests.

    Raises:
        TdbError: pycalphad is not installed, or ships no such folder.
    """
    spec = importlib.util.find_spec("pycalphad")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise TdbError("pycalphad is not installed: pip install 'pycalphad>=0.11,<0.12'")
    folder = Path(next(iter(spec.submodule_search_locations))) / "tests" / "databases"
    if not folder.is_dir():
        raise TdbError(f"the installed pycalphad has no test databases at {folder}: install "
                       "pycalphad 0.11 from PyPI (its wheels ship them), or give a TDB path")
    return folder


def pycalphad_database_names() -> list[str]:
    """File names of the TDB files pycalphad ships, sorted."""
    return sorted(p.name for p in pycalphad_databases_dir().iterdir() if p.suffix.lower() == ".tdb")


def resolve_tdb(ref: str | Path, base_dir: Path | None = None) -> Path:
    """The file a database reference names.

    Args:
        ref: a path (``~`` expanded; relative to ``base_dir``, else the working directory)
            or ``pycalphad:NAME`` (a database pycalphad ships, e.g. ``pycalphad:alcocrni.tdb``).
        base_dir: the folder relative paths start from (a spec file's folder).

    Raises:
        TdbError: no such file (the message says what to give instead).
    """
    text = str(ref).strip()
    if text.lower().startswith(PYCALPHAD_PREFIX):
        name = text[len(PYCALPHAD_PREFIX):].strip()
        folder = pycalphad_databases_dir()
        found = [p for p in folder.iterdir() if p.name.lower() == name.lower()]
        if not found:
            raise TdbError(f"pycalphad ships no database named {name!r}: use one of "
                           f"{', '.join(pycalphad_database_names())} (e.g. pycalphad:alcocrni.tdb), "
                           "or give the path of a TDB file")
        return found[0]
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    if not path.is_file():
        raise TdbError(f"no TDB file at {path}: give the path of a TDB file (absolute, or "
                       f"relative to the spec file), or {PYCALPHAD_PREFIX}NAME for a database "
                       "pycalphad ships")
    return path.resolve()


def tdb_elements(path: Path) -> frozenset[str]:
    """The chemical elements a TDB file declares (``ELEMENT`` lines), as symbols (``Al``).

    Raises:
        TdbError: unreadable, or no ELEMENT line (not a TDB file).
    """
    try:
        text = Path(path).read_text(encoding="latin-1")  # TDB files are ASCII with stray bytes
    except OSError as exc:
        raise TdbError(f"cannot read {path} ({exc.strerror}): give a readable TDB file") from None
    symbols = {m.upper() for m in _ELEMENT.findall(text)} - _NOT_ELEMENTS
    if not symbols:
        raise TdbError(f"{path} declares no ELEMENT: is it a TDB file? Give a thermodynamic "
                       "database in TDB format")
    return frozenset(s.capitalize() for s in symbols)


def file_sha256(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True)
class TdbFile:
    """A database as labels cite it.

    Attributes:
        ref: how it was named (a path or ``pycalphad:NAME``).
        path: the file.
        name: its file name (``alcocrni.tdb``).
        sha256: hash of its bytes: the labels cite it, so a changed file is visible.
        elements: the elements it covers.
    """

    ref: str
    path: Path
    name: str
    sha256: str
    elements: frozenset[str]

    @classmethod
    def open(cls, ref: str | Path, base_dir: Path | None = None) -> TdbFile:
        """Resolve, read and hash a database reference (see :func:`resolve_tdb`)."""
        path = resolve_tdb(ref, base_dir)
        return cls(ref=str(ref), path=path, name=path.name, sha256=file_sha256(path),
                   elements=tdb_elements(path))

    def uncovered(self, elements: object) -> list[str]:
        """Elements among ``elements`` this database does not cover, sorted."""
        return sorted(set(elements) - self.elements)  # type: ignore[call-overload]
