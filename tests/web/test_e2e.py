"""End-to-end: a person in Chromium (Playwright, headless) against uvicorn on a temp store.

Logs in, enters a label for a suggestion (with an evidence file), imports a CSV with one
bad row and sees the error, then imports the fixed file, and watches the dashboard's
counts follow. The store is checked directly, and the retrain trigger through the
campaign loop's own function.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from alloyloop.db.labels import labels_for
from alloyloop.db.lifecycle import get_suggestion

pytestmark = pytest.mark.browser


def log_in(page, base: str, name: str, password: str = "correct horse battery") -> None:  # noqa: ANN001
    page.goto(f"{base}/campaigns/cantor-web")
    assert "/login" in page.url  # sent to the login page first
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{base}/campaigns/cantor-web")
    assert page.inner_text("#who") in (f"{name} (lab)", f"{name} (viewer)", f"{name} (admin)")


def test_a_label_entered_in_the_browser_lands_in_the_store_and_feeds_the_trigger(
        page, live_server, tmp_path: Path) -> None:  # noqa: ANN001
    base, lab = live_server.base_url, live_server.lab
    log_in(page, base, "lee")
    assert page.inner_text("#trigger-count") == "0" and page.inner_text("#count-labelled") == "0"
    assert lab.trigger_count() == 0

    sid = lab.suggestion_ids[0]
    page.click("text=Suggestion queue")
    page.click(f"#suggestion-{sid} >> text=Enter label")
    page.wait_for_url(f"{base}/suggestions/{sid}/label")
    page.check("input[name=outcome][value=single]")
    page.check("input[name=phases][value=FCC]")
    page.select_option("select[name=method]", "XRD")
    page.select_option("select[name=processing]", "annealed")
    page.fill("input[name=anneal_temperature_c]", "1100")
    page.fill("input[name=anneal_time_h]", "24")
    scan = tmp_path / "cantor-xrd.xy"
    scan.write_text("# 2theta intensity\n43.4 1000\n50.5 430\n74.3 210\n", encoding="utf-8")
    page.set_input_files("input[name=evidence]", str(scan))
    page.fill("textarea[name=note]", "single FCC, no secondary peaks")
    page.click("#label-form button[type=submit]")

    page.wait_for_selector("#done")
    label_id = int(re.search(r"Stored label #(\d+)", page.inner_text("#done")).group(1))
    with lab.session() as s:
        [label] = labels_for(s, "CoCrFeMnNi")
        assert (label.id, label.outcome, label.phases, label.method, label.entered_by) == (
            label_id, "single", ["FCC"], "XRD", "lee")
        assert (label.anneal_temperature_c, label.anneal_time_h) == (1100.0, 24.0)
        assert label.evidence_uri.endswith(".xy") and label.note == "single FCC, no secondary peaks"
        assert get_suggestion(s, sid).status == "labelled"
    assert lab.trigger_count() == 1  # the loop's own label-count trigger sees it

    page.click("text=cantor-web")
    assert page.inner_text("#trigger-count") == "1"
    assert page.inner_text("#count-labelled") == "1" and page.inner_text("#labelled-0") == "1"


def test_a_csv_with_a_bad_row_shows_the_error_and_stores_nothing(page, live_server, tmp_path: Path) -> None:  # noqa: ANN001
    base, lab = live_server.base_url, live_server.lab
    log_in(page, base, "lee")
    rows = ("composition,outcome,phases,source,method,processing\n"
            "CoCrNi,single,FCC,experiment,XRD,as-cast\n"
            "Al0.3CoCrFeNi,{bad},FCC+BCC,experiment,SEM,annealed 1000C 10h\n")
    bad = tmp_path / "xrd-results.csv"
    bad.write_text(rows.format(bad="maybe"), encoding="utf-8")
    page.click("text=Import CSV")
    page.set_input_files("input[name=file]", str(bad))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#problems")
    assert "1 problem(s), nothing stored" in page.inner_text("h1")
    cells = page.inner_text("#problems tbody tr")
    assert "3" in cells and "outcome" in cells and "maybe" in cells and "single, multi" in cells
    with lab.session() as s:
        assert labels_for(s, "CoCrNi") == []

    good = tmp_path / "xrd-results-fixed.csv"
    good.write_text(rows.format(bad="multi"), encoding="utf-8")
    page.click("text=Upload a corrected file")
    page.set_input_files("input[name=file]", str(good))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#commit-form")
    assert page.locator("#preview tbody tr").count() == 2
    page.click("#commit-form button[type=submit]")
    page.wait_for_selector("#import-done")
    assert "stored 2 label(s)" in page.inner_text("#import-done")
    assert lab.trigger_count() == 2
    page.goto(f"{base}/campaigns/cantor-web")
    assert page.inner_text("#trigger-count") == "2"


def test_status_changes_update_the_dashboard_and_viewers_cannot_write(page, live_server) -> None:  # noqa: ANN001
    base, lab = live_server.base_url, live_server.lab
    log_in(page, base, "lee")
    sid = lab.suggestion_ids[2]
    page.goto(f"{base}/campaigns/cantor-web/suggestions")
    row = page.locator(f"#suggestion-{sid}")
    row.locator("select[name=status]").select_option("queued")
    row.locator("input[name=note]").fill("arc melting on Monday")
    row.locator("button[type=submit]").click()
    page.wait_for_selector("#done")
    assert page.inner_text(f"#suggestion-{sid} .status") == "queued"
    page.goto(f"{base}/campaigns/cantor-web")
    assert page.inner_text("#count-queued") == "1" and page.inner_text("#count-suggested") == "2"

    page.click("header button[type=submit]")  # log out
    page.wait_for_url(f"{base}/login")
    log_in(page, base, "val")
    page.goto(f"{base}/campaigns/cantor-web/suggestions")
    assert page.locator("text=Enter label").count() == 0 and page.locator("select[name=status]").count() == 0
    response = page.goto(f"{base}/suggestions/{sid}/label")
    assert response.status == 403 and "role 'viewer'" in page.inner_text("#error")
