"""A label from an XRD pattern in the web app: upload, the proposal (phases, lattice
parameters, peak table, plot), then edit / reject / accept, and what the store keeps: the
label carries the analysis and the decision, the pattern is its evidence."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from alloyloop.agent.xrd.provenance import read_provenance
from alloyloop.agent.xrd.synthetic import example_pattern, write_xy
from alloyloop.db.labels import labels_for

ALLOY = "Al0.5CoCrFeNi"


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("xrd") / "AlCoCrFeNi_cast.xy"
    write_xy(example_pattern(), path,
             comma_decimal=True, header="AlCoCrFeNi as cast")
    return path


def _labels(lab):  # noqa: ANN001, ANN202
    with lab.session() as s:
        return labels_for(s, ALLOY)


def test_a_bad_pattern_is_refused_with_its_line_and_nothing_is_stored(client, lab, page_login, hidden,  # noqa: ANN001
                                                                    scan: Path) -> None:
    token = page_login(client, "lee")
    form = client.get("/labels/xrd")
    assert form.status_code == 200 and 'name="pattern"' in form.text
    cut = scan.read_bytes() + b"99,99\n"
    refused = client.post("/labels/xrd", data={"csrf_token": token, "composition": ALLOY},
                          files={"pattern": ("cut.xy", cut, "text/plain")})
    assert refused.status_code == 422
    assert re.search(r"cut\.xy, line \d+: the line has one value", refused.text)
    unknown = client.post("/labels/xrd", data={"csrf_token": token, "composition": "CoCrFeMnQq"},
                          files={"pattern": ("scan.xy", scan.read_bytes(), "text/plain")})
    assert unknown.status_code == 422 and "<strong>Composition</strong>" in unknown.text
    shown = client.post("/labels/xrd", data={"csrf_token": token, "composition": ALLOY},
                        files={"pattern": ("scan.xy", scan.read_bytes(), "text/plain")})
    assert shown.status_code == 200 and "multi (FCC+BCC)" in shown.text
    assert "default Cu Kα (the file states no wavelength)" in shown.text  # where the wavelength came from
    cobalt = client.post("/labels/xrd", data={"csrf_token": token, "composition": ALLOY, "wavelength": "Co"},
                         files={"pattern": ("scan.xy", scan.read_bytes(), "text/plain")})
    assert cobalt.status_code == 200 and "Co Kα, given in the form" in cobalt.text
    bad = client.post("/labels/xrd/store", data={
        "csrf_token": token, "composition": ALLOY, "pattern": hidden(shown.text, "pattern"),
        "pattern_name": "scan.xy", "decision": "edit", "outcome": "single", "phases": ["FCC", "BCC"]})
    assert bad.status_code == 422 and "a single-phase label lists at most one phase" in bad.text
    assert 'id="xrd-plot"' in bad.text  # the proposal is shown again with the problem
    gone = client.post("/labels/xrd/store", data={
        "csrf_token": token, "composition": ALLOY, "pattern": "0" * 64 + ".xy", "pattern_name": "x.xy",
        "decision": "accept"})
    assert gone.status_code == 422 and "upload it again" in gone.text
    assert _labels(lab) == []


@pytest.mark.browser
def test_upload_see_the_proposal_edit_reject_and_accept(page, live_server, scan: Path) -> None:  # noqa: ANN001
    base, lab = live_server.base_url, live_server.lab
    page.goto(f"{base}/login")
    page.fill("input[name=name]", "lee")
    page.fill("input[name=password]", "correct horse battery")
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{base}/campaigns")

    def upload() -> None:
        page.goto(f"{base}/labels/new")
        page.click("#from-xrd")
        page.wait_for_url(f"{base}/labels/xrd")
        page.fill("input[name=composition]", ALLOY)
        page.set_input_files("input[name=pattern]", str(scan))
        page.click("#xrd-form button[type=submit]")
        page.wait_for_selector("#proposal")

    upload()
    assert page.inner_text("#proposed") == "multi (FCC+BCC)"
    phases = page.inner_text("#xrd-phases")
    assert "FCC" in phases and "3.590" in phases and "BCC" in phases and "2.880" in phases
    assert "111" in page.inner_text("#xrd-peaks") and "unexplained" in page.inner_text("#xrd-peaks")
    assert "displacement" in page.inner_text("#xrd-shift") and "(peaks)" in page.inner_text("#xrd-shift")
    assert page.eval_on_selector("#xrd-plot", "img => img.naturalWidth") > 500
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.screenshot(path=str(Path(live_server.lab.data_dir) / "xrd-proposal.png"), full_page=True)

    # edit: the person adds a phase they saw in the microscope
    page.check("input[name=phases][value=sigma]")
    page.fill("textarea[name=note]", "sigma at grain boundaries (SEM)")
    page.click("#edit")
    page.wait_for_selector("#done")
    (edited,) = _labels(lab)
    assert (edited.outcome, list(edited.phases), edited.source, edited.method, edited.entered_by) == (
        "multi", ["FCC", "BCC", "sigma"], "experiment", "XRD", "lee")
    analysis, review = read_provenance(edited.provenance)
    assert review.decision == "edited" and review.changed == ("phases",)
    assert [p.structure for p in analysis.phases] == ["FCC", "BCC"] and abs(analysis.phases[0].a - 3.59) < 0.01
    evidence = Path(unquote(urlparse(edited.evidence_uri).path))
    assert evidence.read_bytes() == scan.read_bytes()
    assert unquote(urlparse(edited.evidence_uri).fragment) == scan.name

    # reject: the person's own label is stored, with the same pattern as evidence
    upload()
    page.check("input[name=outcome][value=single]")
    page.uncheck("input[name=phases][value=BCC]")
    page.click("#reject")
    page.wait_for_selector("#done")
    rejected = _labels(lab)[-1]
    assert (rejected.outcome, list(rejected.phases), rejected.method) == ("single", ["FCC"], "XRD")
    assert rejected.evidence_uri == edited.evidence_uri
    review = read_provenance(rejected.provenance)[1]
    assert review.decision == "rejected" and review.proposed.outcome == "multi"

    # accept
    upload()
    page.click("#accept")
    page.wait_for_selector("#done")
    accepted = _labels(lab)[-1]
    assert (accepted.outcome, list(accepted.phases)) == ("multi", ["FCC", "BCC"])
    assert read_provenance(accepted.provenance)[1].decision == "accepted"


def _ras(pattern) -> bytes:  # noqa: ANN001
    """``pattern`` as a Rigaku .ras export: Cu header, the attenuator in at the strong peaks."""
    rows = []
    for x, y in zip(pattern.two_theta, pattern.intensity):
        factor = 10.0 if y > 1500 else 1.0
        rows.append(f"{x:.4f} {y / factor:.4f} {factor:.4f}")
    header = ["*RAS_DATA_START", "*RAS_HEADER_START", '*HW_XG_TARGET_NAME "Cu"',
              '*HW_XG_WAVE_LENGTH_ALPHA1 "1.540593"', '*HW_XG_WAVE_LENGTH_ALPHA2 "1.544414"',
              f'*MEAS_DATA_COUNT "{len(rows)}"', '*MEAS_SCAN_AXIS_X "TwoThetaTheta"', "*RAS_HEADER_END",
              "*RAS_INT_START"]
    return ("\r\n".join(header + rows + ["*RAS_INT_END", "*RAS_DATA_END"]) + "\r\n").encode("latin-1")


def test_a_rigaku_ras_scan_is_proposed_and_stored_as_ras_evidence(client, lab, page_login, hidden) -> None:  # noqa: ANN001
    token = page_login(client, "lee")
    data = _ras(example_pattern())
    shown = client.post("/labels/xrd", data={"csrf_token": token, "composition": ALLOY},
                        files={"pattern": ("cast.ras", data, "application/octet-stream")})
    assert shown.status_code == 200 and "multi (FCC+BCC)" in shown.text
    assert "HW_XG_WAVE_LENGTH_ALPHA1" in shown.text  # the wavelength is the header's
    stored = client.post("/labels/xrd/store", data={
        "csrf_token": token, "composition": ALLOY, "pattern": hidden(shown.text, "pattern"),
        "pattern_name": "cast.ras", "decision": "accept"})
    assert stored.status_code in (200, 303)
    (label,) = _labels(lab)
    evidence = Path(unquote(urlparse(label.evidence_uri).path))
    assert evidence.suffix == ".ras" and evidence.read_bytes() == data
