"""Accounts: argon2 hashes, the `alloyloop user` commands, and login sessions in the store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from alloyloop.cli.app import app
from alloyloop.db.accounts import credentials, end_login, find_login, list_users, start_login
from alloyloop.db.audit import audit_entries
from alloyloop.db.engine import make_engine, open_session
from alloyloop.db.errors import InvalidValue


def test_passwords_are_argon2id_hashes_and_weak_hashes_are_upgraded(lab, monkeypatch) -> None:  # noqa: ANN001
    from alloyloop.web import auth as web_auth

    monkeypatch.setattr(web_auth, "hasher", PasswordHasher())  # the real default
    digest = web_auth.hash_password("a long enough secret")
    assert digest.startswith("$argon2id$") and "a long enough secret" not in digest
    with pytest.raises(InvalidValue, match="10 to 1024 characters"):
        web_auth.hash_password("short")
    with lab.session() as s:
        _, cheap = credentials(s, "lee")
        assert "m=8," in cheap  # seeded with the cheapest profile
        assert web_auth.authenticate(s, "lee", "wrong password") is None
        assert web_auth.authenticate(s, "nobody", "correct horse battery") is None
        assert web_auth.authenticate(s, "lee", "correct horse battery").name == "lee"
        _, upgraded = credentials(s, "lee")
    assert upgraded != cheap and not web_auth.hasher.check_needs_rehash(upgraded)


def test_login_sessions_store_only_token_hashes(lab) -> None:  # noqa: ANN001
    from alloyloop.web.sessions import new_token, token_hash

    token = new_token()
    with lab.session() as s:
        user = [u for u in list_users(s) if u.name == "val"][0]
        login = start_login(s, user.id, token_hash(token), new_token(), timedelta(hours=1))
        assert find_login(s, token_hash(token)).user.name == "val"
        assert find_login(s, token) is None  # the raw token is not a key
        expired = start_login(s, user.id, token_hash("old"), new_token(), timedelta(seconds=-1))
        assert find_login(s, token_hash("old")) is None and expired.session_id != login.session_id
        assert end_login(s, token_hash(token)) and not end_login(s, token_hash(token))
        assert find_login(s, token_hash(token)) is None


def test_user_commands(lab, tmp_path) -> None:  # noqa: ANN001
    runner = CliRunner()
    secret = tmp_path / "pw.txt"
    secret.write_text("a very good password\n")
    added = runner.invoke(app, ["user", "add", "alice.k", "--role", "lab", "--password-file", str(secret),
                                "--url", lab.url])
    assert added.exit_code == 0, added.output
    assert "created user alice.k with role lab" in added.output and "very good" not in added.output
    piped = runner.invoke(app, ["user", "add", "bob", "--url", lab.url], input="another good password\n")
    assert piped.exit_code == 0 and "role viewer" in piped.output and "another" not in piped.output
    again = runner.invoke(app, ["user", "add", "bob", "--password-file", str(secret), "--url", lab.url])
    assert again.exit_code == 1 and "a user named 'bob' exists" in again.output
    bad_role = runner.invoke(app, ["user", "add", "carol", "--role", "boss", "--url", lab.url])
    assert bad_role.exit_code == 1 and "use one of: viewer, lab, admin" in bad_role.output
    short = runner.invoke(app, ["user", "add", "carol", "--url", lab.url], input="short\n")
    assert short.exit_code == 1 and "10 to 1024 characters" in short.output
    bad_name = runner.invoke(app, ["user", "add", "c d", "--url", lab.url], input="a good password!\n")
    assert bad_name.exit_code == 1 and "user name 'c d' is not allowed" in bad_name.output
    listed = runner.invoke(app, ["user", "list", "--url", lab.url])
    assert listed.exit_code == 0 and "alice.k" in listed.output and "carol" not in listed.output
    assert runner.invoke(app, ["user", "role", "bob", "admin", "--url", lab.url]).exit_code == 0
    assert runner.invoke(app, ["user", "passwd", "bob", "--url", lab.url], input="changed password!\n").exit_code == 0
    assert runner.invoke(app, ["user", "disable", "bob", "--url", lab.url]).exit_code == 0
    missing = runner.invoke(app, ["user", "role", "zed", "lab", "--url", lab.url])
    assert missing.exit_code == 1 and "no user named 'zed'" in missing.output
    engine = make_engine(lab.url)
    try:
        with open_session(engine) as s:
            bob = [u for u in list_users(s) if u.name == "bob"][0]
            assert (bob.role, bob.active) == ("admin", False)
            log = [(e.action, e.note) for e in audit_entries(s, target_type="user", target_ids=[bob.id])]
            assert log == [("user.change", "disabled"), ("user.change", "password changed"),
                           ("user.change", "role set to admin"), ("user.add", None)]
            assert all(e.actor.startswith("cli") for e in audit_entries(s, target_ids=[bob.id]))
    finally:
        engine.dispose()


def test_serve_refuses_an_outdated_store(tmp_path) -> None:  # noqa: ANN001
    from alloyloop.db.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine, "0001")
    engine.dispose()
    result = CliRunner().invoke(app, ["serve", "--url", url, "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and "alloyloop db upgrade" in result.output
