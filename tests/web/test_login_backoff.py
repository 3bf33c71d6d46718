"""The login back-off per (account, address) with ceilings, through the real app: one
person's typos lock out only that person at that address; one account sprayed from many
addresses, or one address spraying many accounts, still meets the back-off."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI
from fastapi.testclient import TestClient

from alloyloop.web.app import create_app
from alloyloop.web.throttle import ACCOUNT_FREE, ADDRESS_FREE, BASE_DELAY, FREE_FAILURES, LoginThrottle

from .conftest import PASSWORD, settings_for


@contextmanager
def _app(lab) -> Iterator[FastAPI]:  # noqa: ANN001
    app = create_app(settings_for(lab))
    with TestClient(app):  # runs the lifespan once; the clients below share the app
        yield app


def _from(app: FastAPI, address: str) -> TestClient:
    """A client whose requests come from ``address`` (the app sees it as the peer)."""
    return TestClient(app, base_url="http://127.0.0.1", client=(address, 50000))


def _login(app: FastAPI, name: str, address: str, password: str = PASSWORD) -> int:
    return _from(app, address).post("/api/v1/session", json={"name": name, "password": password}).status_code


def test_typos_lock_out_only_that_person_at_that_address(lab) -> None:  # noqa: ANN001
    with _app(lab) as app:
        codes = [_login(app, "lee", "10.0.0.1", f"typo number {i}") for i in range(FREE_FAILURES + 1)]
        assert codes == [401] * FREE_FAILURES + [429]
        assert _login(app, "lee", "10.0.0.1") == 429  # the right password waits too
        assert _login(app, "val", "10.0.0.1") == 200  # a colleague behind the same proxy logs in
        assert _login(app, "lee", "10.0.0.2") == 200  # the same person from another PC does too


def test_one_account_sprayed_from_many_addresses_meets_the_account_ceiling(lab) -> None:  # noqa: ANN001
    with _app(lab) as app:
        per_address = FREE_FAILURES - 1  # each address stays below its own pair's back-off
        codes = [_login(app, "lee", f"10.1.{i // per_address}.1", f"guess {i}") for i in range(ACCOUNT_FREE)]
        assert codes == [401] * ACCOUNT_FREE
        fresh = "10.9.9.9"
        assert _login(app, "lee", fresh, "one more guess") == 429
        assert _login(app, "lee", fresh) == 429  # the account waits everywhere, right password or not
        assert _login(app, "val", fresh) == 200  # other accounts are not touched


def test_one_address_spraying_many_accounts_meets_the_address_ceiling() -> None:
    now = [0.0]
    t = LoginThrottle(clock=lambda: now[0])
    for i in range(ADDRESS_FREE):
        assert t.wait(f"user{i}", "10.0.0.1") == 0
        t.failed(f"user{i}", "10.0.0.1")
    assert t.wait("somebody-new", "10.0.0.1") == BASE_DELAY
    assert t.wait("somebody-new", "10.0.0.2") == 0
