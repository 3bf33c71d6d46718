"""Fixtures of the web app tests: a migrated store per test (SQLite, and PostgreSQL for
the write paths), accounts of each role, a campaign with one completed round of three
suggestions made directly through the store's services (no model is trained), and
TestClients logged in through the real login endpoints.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles
from fastapi.testclient import TestClient

from alloyloop.agent.campaign_ops import create_from_spec, trigger_decision
from alloyloop.campaigns.bundled import load_example
from alloyloop.db.campaigns import SuggestionInput, add_suggestions, finish_round, start_round
from alloyloop.db.engine import make_engine, open_session
from alloyloop.web.app import create_app
from alloyloop.web.settings import WebSettings

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
PASSWORD = "correct horse battery"
CAMPAIGN = "cantor-web"
SUGGESTED = ("CoCrFeMnNi", "Al0.1CoCrFeNi", "Al5Co20Cr20Fe25Ni30")


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest profile: the default costs ~0.3 s per login on these machines
    (``test_auth`` checks the real default)."""
    from alloyloop.web import auth as web_auth

    monkeypatch.setattr(web_auth, "hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))
    monkeypatch.setattr(web_auth, "_DUMMY_HASH", [])


@pytest.fixture(params=BACKENDS)
def any_db_url(request: pytest.FixtureRequest, fresh_store) -> str:  # noqa: ANN001
    """A fresh migrated store on each backend (for the write paths)."""
    return fresh_store(request.param)


@pytest.fixture
def sqlite_url(fresh_store) -> str:  # noqa: ANN001
    """A fresh migrated SQLite store (tests of logic rather than backend)."""
    return fresh_store("sqlite")


@dataclass(frozen=True)
class Lab:
    """A seeded store: its URL, the campaign, the suggestions' ids and the round's."""

    url: str
    data_dir: Path
    campaign: str
    round_id: int
    suggestion_ids: tuple[int, ...]

    def session(self):  # noqa: ANN201 - a context manager over a Session
        from contextlib import contextmanager

        @contextmanager
        def opened():  # noqa: ANN202
            engine = make_engine(self.url)
            try:
                with open_session(engine) as s:
                    yield s
            finally:
                engine.dispose()

        return opened()

    def trigger_count(self) -> int:
        """The campaign loop's own label-count trigger figure."""
        with self.session() as s:
            return trigger_decision(s, self.campaign).new_labels


def seed(url: str, data_dir: Path) -> Lab:
    """Accounts (admin, lab, viewer), a campaign (the bundled cantor-fcc spec) and one
    completed round with three suggestions, through the store's services."""
    from alloyloop.web.auth import add_account

    engine = make_engine(url)
    try:
        with open_session(engine) as s:
            for name, role in (("ada", "admin"), ("lee", "lab"), ("val", "viewer")):
                add_account(s, name, PASSWORD, role, actor="test")
            create_from_spec(s, dataclasses.replace(load_example("cantor-fcc"), name=CAMPAIGN))
            rnd = start_round(s, CAMPAIGN, data_hash="0" * 64, seed=1)
            made = add_suggestions(s, rnd.id, [
                SuggestionInput(c, "screen", p_single=0.8 - 0.1 * i, interval=(0.5, 0.9),
                                prediction_set=["single"], in_domain=True, acquisition=0.1 * i)
                for i, c in enumerate(SUGGESTED)])
            finish_round(s, rnd.id)
    finally:
        engine.dispose()
    return Lab(url, data_dir, CAMPAIGN, rnd.id, tuple(m.id for m in made))


@pytest.fixture
def lab_any(any_db_url: str, tmp_path: Path) -> Lab:
    return seed(any_db_url, tmp_path / "data")


@pytest.fixture
def lab(sqlite_url: str, tmp_path: Path) -> Lab:
    return seed(sqlite_url, tmp_path / "data")


@dataclass(frozen=True)
class Discovered:
    """The seeded lab after a second round (:func:`discovery_round`)."""

    lab: Lab
    round_id: int
    checkpoint: Path
    ids: dict[str, int]
    """Alloy typed in :data:`ROUND_1` → suggestion id."""


ROUND_1 = (  # (alloy, strategy, p(FCC) when suggested, label outcome, phases; None: no label)
    ("Co25Cr15Fe20Mn20Ni20", "botorch", 0.9, "single", "FCC"),
    ("Al5Co25Cr20Fe25Ni25", "botorch", 0.85, "single", "FCC"),
    ("Al15Co20Cr25Fe20Ni20", "botorch", 0.35, "multi", "FCC+BCC"),
    ("Al10Co25Cr20Fe20Ni25", "random", 0.45, "single", "FCC"),
    ("Al15Co15Cr15Fe15Mn20Ni20", "random", 0.15, "single", "BCC"),
    ("Al5Co20Cr25Fe25Mn25", "screen", 0.6, "single", None),
    ("Co30Cr20Fe20Mn10Ni20", "screen", 0.7, None, None),
)


def discovery_round(lab: Lab, folder: Path) -> Discovered:
    """A second round of the lab's FCC campaign through the store's services: suggestions
    of three strategies with p(FCC) stored as the batch stores it, most of them labelled
    (hits, misses, a single-phase label naming no structure), the first round's
    CoCrFeMnNi labelled FCC, and a tiny DVAE fitted on synthetic alloys as the round's
    model (its checkpoint in ``folder``), five suggestions with their latent coordinates
    stored as the strategies store them."""
    from alloyloop.db.audit import label_suggestion_audited
    from alloyloop.db.campaigns import attach_model, register_model_version
    from alloyloop.featurize.composition import parse_composition
    from alloyloop.featurize.matrix import fraction_matrix
    from alloyloop.models.dvae import DisentangledVAE
    from tests.fixtures.dvae import random_alloys, tiny

    elements = ("Al", "Co", "Cr", "Cu", "Fe", "Mn", "Ni", "Ti", "V")
    X = random_alloys(160, len(elements), seed=3)
    model = DisentangledVAE(tiny(latent_dim=2), elements=elements, seed=0).fit(
        X, (X[:, [0, 3, 7]].sum(axis=1) <= 0.12).astype("int64"))
    checkpoint = model.save(folder / "checkpoint")
    x = fraction_matrix([parse_composition(c).fractions for c, *_ in ROUND_1], elements)
    latent = model.encode(x)
    with lab.session() as s:
        first = lab.suggestion_ids[0]  # CoCrFeMnNi, screen
        label_suggestion_audited(s, first, actor="lee", outcome="single", phases="FCC", source="experiment",
                                 method="XRD", entered_by="lee")
        rnd = start_round(s, lab.campaign, data_hash="1" * 64, seed=2)
        made = add_suggestions(s, rnd.id, [
            SuggestionInput(c, strategy, p_single=min(1.0, p + 0.05), interval=(0.1, 0.95),
                            prediction_set=["single"], in_domain=True, acquisition=p,
                            extra={"target": "FCC", "p_target": p,
                                   **({"latent": [float(v) for v in latent[i]]} if i < 5 else {})})
            for i, (c, strategy, p, _, _) in enumerate(ROUND_1)])
        version = register_model_version(s, f"{lab.campaign}/round-1", checkpoint, sha256="a" * 64)
        attach_model(s, rnd.id, version.id)
        finish_round(s, rnd.id)
        for m, (_, _, _, outcome, phases) in zip(made, ROUND_1):
            if outcome is not None:
                label_suggestion_audited(s, m.id, actor="lee", outcome=outcome, phases=phases,
                                         source="experiment", method="XRD", entered_by="lee")
    return Discovered(lab, rnd.id, Path(checkpoint), {c: m.id for (c, *_), m in zip(ROUND_1, made)})


@pytest.fixture
def discovered(lab: Lab, tmp_path: Path) -> Discovered:
    return discovery_round(lab, tmp_path)


@pytest.fixture
def discovered_any(lab_any: Lab, tmp_path: Path) -> Discovered:
    """:func:`discovery_round` on each backend."""
    return discovery_round(lab_any, tmp_path)


def settings_for(lab: Lab, **overrides: object) -> WebSettings:
    return WebSettings(database_url=lab.url, data_dir=lab.data_dir, **overrides)  # type: ignore[arg-type]


def make_client(lab: Lab, **overrides: object) -> Iterator[TestClient]:
    app = create_app(settings_for(lab, **overrides))
    # raise_server_exceptions: a bug surfaces as the exception, not only as a 500
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


@pytest.fixture
def client(lab: Lab) -> Iterator[TestClient]:
    yield from make_client(lab)


@pytest.fixture
def client_any(lab_any: Lab) -> Iterator[TestClient]:
    yield from make_client(lab_any)


def _api_login(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Log in through the API; returns the CSRF token (the cookie stays in the client)."""
    response = client.post("/api/v1/session", json={"name": name, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["csrf_token"]


def _page_login(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Log in through the login form; returns the CSRF token the pages carry."""
    page = client.get("/login")
    token = _hidden(page.text, "csrf_token")
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": token,
                                           "next": "/campaigns"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return _hidden(client.get("/campaigns").text, "csrf_token")


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, f"no hidden field {name} in the page"
    return found.group(1)


@pytest.fixture
def hidden() -> Callable[[str, str], str]:
    return _hidden


@pytest.fixture
def api_login() -> Callable[..., str]:
    """``api_login(client, name)``: log in through the API, return the CSRF token."""
    return _api_login


@pytest.fixture
def page_login() -> Callable[..., str]:
    """``page_login(client, name)``: log in through the login form, return the CSRF token."""
    return _page_login


@pytest.fixture(autouse=True)
def wide_cli_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich wraps at 80 columns without a terminal; tests match whole messages, so widen it."""
    from alloyloop.cli.commands import db as db_commands
    from alloyloop.cli.commands import web as web_commands

    for console in (db_commands.console, web_commands.console):
        monkeypatch.setattr(console, "width", 200)


# --- end-to-end browser tests ----------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
BROWSER_SKIP: list[str] = []
SAVED_ARTIFACTS: list[str] = []


def _chromium() -> str | None:
    """Debian's chromium (Playwright's own browser download does not work here)."""
    explicit = os.environ.get("ALLOYLOOP_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """A headless Chromium driven by Playwright; skipped loudly when missing, a failure
    under ``ALLOYLOOP_REQUIRE_BROWSER=1`` (CI).

    One per module, not per session: while Playwright's sync API is open its event loop is
    set as running on the main thread, and code that checks for a running loop (Prefect's
    sync/async dispatch, ``anyio.run``) misbehaves in every later test of the same worker."""
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        executable, why = None, "the playwright package is not installed (pip install -e '.[dev]')"
    else:
        explicit = os.environ.get("ALLOYLOOP_CHROMIUM")
        why = (f"ALLOYLOOP_CHROMIUM={explicit} is not a file: point it to a Chromium binary" if explicit else
               "Debian's chromium is not installed: apt-get install chromium (or set ALLOYLOOP_CHROMIUM)")
    if executable is None:
        reason = f"BROWSER TESTS SKIPPED: {why}"
        if os.environ.get("ALLOYLOOP_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " (ALLOYLOOP_REQUIRE_BROWSER=1)")
        BROWSER_SKIP.append(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True,
                                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()


@dataclass
class LiveServer:
    base_url: str
    lab: Lab


@pytest.fixture
def live_server(lab: Lab) -> Iterator[LiveServer]:
    """The app served by uvicorn on a free port of 127.0.0.1, in a thread, on a fresh store."""
    import socket
    import threading
    import time

    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings_for(lab)), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start within 30 s")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", lab)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def artifacts_dir() -> Path:
    """Where failing browser tests leave a screenshot and the page's HTML."""
    return Path(os.environ.get("ALLOYLOOP_TEST_ARTIFACTS", ROOT / "tmp" / "artifacts"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page(browser, request: pytest.FixtureRequest) -> Iterator[object]:  # noqa: ANN001
    """A fresh browser page (own cookies); on failure its screenshot and HTML are saved."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    failed = any(getattr(request.node, f"rep_{when}", None) is not None
                 and getattr(request.node, f"rep_{when}").failed for when in ("setup", "call"))
    if failed:
        folder = artifacts_dir()
        folder.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)
        tab.screenshot(path=str(folder / f"{stem}.png"), full_page=True)
        (folder / f"{stem}.html").write_text(tab.content(), encoding="utf-8")
        SAVED_ARTIFACTS.append(f"{request.node.nodeid}: {folder / stem}.png and .html")
    context.close()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    if BROWSER_SKIP:
        terminalreporter.section("browser", sep="!", red=True, bold=True)
        terminalreporter.line(BROWSER_SKIP[0], red=True, bold=True)
    if SAVED_ARTIFACTS:
        terminalreporter.section("screenshots of failed browser tests", sep="-")
        for line in SAVED_ARTIFACTS:
            terminalreporter.line(line)
