"""Every page in Chromium at 1280×800 (Playwright): nothing wider than the window, the
API docs rendered with no network, the label list's paging and filters, the weighing
sheet, and the login back-off as a person meets it."""

from __future__ import annotations

import csv
import io
import re

import pytest

from alloyloop.agent.campaign_ops import REPORT_KIND
from alloyloop.agent.report.suggestion_shap import Driver, write_explanations
from alloyloop.db.audit import add_label_audited, transition_audited
from alloyloop.db.campaigns import add_report, rounds
from alloyloop.web.uploads import store_bytes

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
LONG_NAME = "Al0.3CoCrFeNi_annealed_1100C_24h_XRD_pattern_from_the_diffractometer_in_room_B112.xy"


def _log_in(page, base: str, name: str = "lee") -> None:  # noqa: ANN001
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{base}/campaigns")


@pytest.fixture
def busy_lab(live_server):  # noqa: ANN001, ANN201
    """The seeded lab plus what makes pages wide: 120 labels with long evidence names,
    URLs and notes, a failed suggestion with its reason, a report with SHAP importances.
    The labels are of alloys nobody suggested: a label of a suggested alloy closes its
    suggestion, and the queue's tests need them open."""
    lab = live_server.lab
    with lab.session() as s:
        scan = store_bytes(lab.data_dir / "evidence", b"43.4 1000\n50.5 430\n", "xy", LONG_NAME)
        for i in range(120):
            add_label_audited(
                s, actor="lee" if i % 2 else "ada", composition=("Al0.3CoCrFeNi", "CoCrFeNi", "Co20Cr20Ni60")[i % 3],
                outcome="single" if i % 4 else "multi", source="experiment" if i % 3 else "literature",
                method="XRD" if i % 3 else None, entered_by="lee" if i % 2 else "ada",
                evidence_uri=scan.uri if i % 5 == 0 else f"https://doi.org/10.1016/j.actamat.2026.{i:06d}/supplementary-data-long-name",
                note="grain boundary precipitates seen only in the backscatter image; " * (1 + i % 3),
                repeat=True)  # the same scan cited again and again: repeats on purpose
        transition_audited(s, lab.suggestion_ids[1], "queued", actor="lee", note=None)
        transition_audited(s, lab.suggestion_ids[1], "failed", actor="lee", note="cracked on casting")
        report = lab.data_dir / "report"
        report.mkdir(parents=True)
        (report / "index.html").write_text("<h1>report</h1>", encoding="utf-8")
        (report / "importance.json").write_text('{"mean_abs_shap": {"VEC": 0.3, "δ [%]": 0.2, "Δχ": 0.1, "n": 0.01}}',
                                                encoding="utf-8")
        write_explanations([lab.suggestion_ids[0]], [[Driver("VEC", 8.1, 0.031), Driver("δ [%]", 3.2, -0.02),
                                                      Driver("Δχ", 0.12, 0.004)]], "exact", report)
        add_report(s, rounds(s, lab.campaign)[0].id, str(report / "index.html"), kind=REPORT_KIND)
    return live_server


def test_no_page_is_wider_than_the_window(page, busy_lab) -> None:  # noqa: ANN001
    base, lab = busy_lab.base_url, busy_lab.lab
    sid = lab.suggestion_ids[0]
    paths = ["/login"]
    _log_in(page, base)
    paths += ["/campaigns", f"/campaigns/{lab.campaign}", f"/campaigns/{lab.campaign}/suggestions",
              f"/campaigns/{lab.campaign}/suggestions?all=1", f"/campaigns/{lab.campaign}/weighing",
              "/labels", "/labels?composition=Al0.3CoCrFeNi", "/labels?per_page=200", "/labels/new",
              f"/suggestions/{sid}/label", "/labels/1/correct", "/import", "/audit", "/api/docs", "/api/redoc"]
    wide = {}
    for path in paths:
        response = page.goto(base + path)
        assert response.status == 200, (path, response.status)
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if scroll > inner:
            wide[path] = scroll
    assert page.viewport_size == {"width": 1280, "height": 800}
    assert not wide, f"wider than 1280 px: {wide}"
    page.goto(f"{base}/labels?composition=Al0.3CoCrFeNi")
    html = page.content()
    assert str(lab.data_dir) not in html and "file://" not in html  # no server path on the page
    link = page.locator(f"a:text-is('{LONG_NAME}')").first
    assert link.get_attribute("href").startswith("/evidence/")


def test_the_api_docs_render_their_operations_offline(page, live_server) -> None:  # noqa: ANN001
    base = live_server.base_url
    outside: list[str] = []

    def only_local(route) -> None:  # noqa: ANN001
        if route.request.url.startswith(base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.context.route("**/*", only_local)
    page.goto(f"{base}/api/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() >= 15
    assert "Log in" in page.inner_text(".swagger-ui")
    page.goto(f"{base}/api/redoc")
    page.get_by_text("Enter a label for any composition").first.wait_for(state="attached", timeout=20_000)
    assert outside == [], outside


def test_the_label_list_pages_filters_and_sorts(page, busy_lab) -> None:  # noqa: ANN001
    base = busy_lab.base_url
    _log_in(page, base)
    page.goto(f"{base}/labels")
    assert page.inner_text("#label-count") == "Labels 1–50 of 120"
    assert page.locator("#labels tbody tr").count() == 50
    first = page.locator("#labels tbody tr").first.get_attribute("id")
    page.click("#next-page")
    assert page.inner_text("#label-count") == "Labels 51–100 of 120"
    assert page.locator("#labels tbody tr").first.get_attribute("id") != first
    page.click("text=last »")
    assert page.inner_text("#label-count") == "Labels 101–120 of 120"

    page.goto(f"{base}/labels")
    page.select_option("#label-filters select[name=source]", "experiment")
    page.select_option("#label-filters select[name=outcome]", "single")
    page.fill("#label-filters input[name=by]", "lee")
    page.click("#label-filters button[type=submit]")
    page.wait_for_url(re.compile(r".*source=experiment.*"))
    expected = sum(1 for i in range(120) if i % 3 and i % 4 and i % 2)
    assert page.inner_text("#label-count") == f"Labels 1–{expected} of {expected}"
    cells = page.locator("#labels tbody tr td:nth-child(3)").all_inner_texts()
    assert set(cells) == {"single"} and len(cells) == expected
    page.click("#sort-alloy")  # sorting keeps the filters
    assert "source=experiment" in page.url and "sort=alloy" in page.url
    alloys = page.locator("#labels tbody tr td:nth-child(2) .alloy").all_inner_texts()
    assert alloys == sorted(alloys, key=lambda a: {"Al0.3CoCrFeNi": 0, "CoCrFeNi": 1, "CoCr0.33Ni": 2}.get(a, 3))
    page.goto(f"{base}/labels?since=2999-01-01")
    assert page.inner_text("#label-count") == "No label matches these filters."
    bad = page.goto(f"{base}/labels?outcome=maybe&since=yesterday")
    assert bad.status == 422 and "single, multi" in page.inner_text("#error") and "YYYY-MM-DD" in page.inner_text("#error")


def test_the_weighing_sheet_of_ticked_suggestions(page, busy_lab) -> None:  # noqa: ANN001
    base, lab = busy_lab.base_url, busy_lab.lab
    _log_in(page, base)
    page.goto(f"{base}/campaigns/{lab.campaign}/suggestions")
    first = lab.suggestion_ids[0]  # CoCrFeMnNi
    why = page.inner_text(f"#suggestion-{first} .why")
    assert "screen" in why and "[0.50–0.90]" in why and "why: VEC 8.1: +0.031 · δ [%] 3.2: -0.020 · Δχ 0.12: +0.004" in why
    assert "cracked on casting" not in why
    assert "cracked on casting" in page.inner_text(f"#suggestion-{lab.suggestion_ids[1]} .status")
    page.check(f"#suggestion-{first} input[type=checkbox]")
    page.fill("#weigh-form input[name=mass]", "25")
    page.click("#weigh-form button[type=submit]")
    page.wait_for_selector(f"#sheet-{first}")
    assert page.locator("section.sheet").count() == 1
    grams = {el: float(page.inner_text(f"#sheet-{first} .element-{el} .grams")) for el in ("Co", "Cr", "Fe", "Mn", "Ni")}
    # equiatomic Cantor alloy: w_i = M_i / Σ M_j with M from pymatgen, 25 g ingot
    assert grams == pytest.approx({"Co": 5.2543, "Cr": 4.6358, "Fe": 4.9789, "Mn": 4.8981, "Ni": 5.2329}, abs=1e-4)
    assert sum(grams.values()) == pytest.approx(25, abs=2e-4)
    with page.expect_download() as download:
        page.click("#weighing-csv")
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert [r["element"] for r in rows] == ["Co", "Cr", "Fe", "Mn", "Ni"] and {r["ingot_g"] for r in rows} == {"25"}
    assert float(rows[0]["grams"]) == grams["Co"]
    page.emulate_media(media="print")
    assert page.locator("header").is_hidden() and page.locator(f"#sheet-{first}").is_visible()


def test_failed_logins_back_off_in_the_browser(page, live_server) -> None:  # noqa: ANN001
    base, lab = live_server.base_url, live_server.lab
    for i in range(6):  # five wrong passwords, then the back-off refuses even to check
        page.goto(f"{base}/login")
        page.fill("input[name=name]", "lee")
        page.fill("input[name=password]", f"wrong password {i}")
        page.click("form.stack button[type=submit]")
        page.wait_for_selector("#error")
    assert "too many failed logins" in page.inner_text("#error")
    page.goto(f"{base}/login")
    page.fill("input[name=name]", "lee")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_selector("#error")
    assert "too many failed logins" in page.inner_text("#error") and "/login" in page.url
    page.goto(f"{base}/audit")  # still logged out
    assert "/login" in page.url
