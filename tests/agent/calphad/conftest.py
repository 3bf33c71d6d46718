"""Fixtures of the CALPHAD tests: the Al-Co-Cr-Ni database pycalphad ships for its own tests.

It is located at run time in the installed pycalphad package (never copied here). If the
installed pycalphad lacks it, the tests fail with a message saying so: they do not skip.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from alloyloop.campaigns.tdb import TdbError, resolve_tdb

ALCOCRNI = "pycalphad:alcocrni.tdb"


def alcocrni_path() -> Path:
    try:
        return resolve_tdb(ALCOCRNI)
    except TdbError as exc:
        pytest.fail(f"the CALPHAD tests need the Al-Co-Cr-Ni test database of pycalphad 0.11 "
                    f"({ALCOCRNI}): {exc}", pytrace=False)


@pytest.fixture(scope="session")
def alcocrni_tdb() -> Path:
    """Path of pycalphad's Al-Co-Cr-Ni test database."""
    return alcocrni_path()
