"""The spreadsheet reader's quote rule (issue 28): a quote that never closes, or closes by
chance lines later, is refused naming the line it opened on; doubled quotes and a note
over two lines are read as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from alloyloop.featurize.spreadsheet import SheetError, read_sheet

HEAD = "composition,outcome,source,note\n"


def _sheet(tmp_path: Path, text: str):  # noqa: ANN202
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode("utf-8"))
    return read_sheet(path)


@pytest.mark.parametrize(("text", "line", "says"), [
    (HEAD + 'CoCrFeMnNi,single,experiment,"cracked, see photo\nCoCrNi,single,experiment,\n', 2,
     "the quote that opens the cell \"cracked, see photo (column 'note') is never closed"),
    (HEAD.replace(",", ";") + 'CoCrFeMnNi;single;experiment;"cracked; see\nCoCrNi;single;experiment;\n', 2,
     "(column 'note') is never closed"),
    (HEAD + 'CoCrFeMnNi,single,experiment,"cracked\nCoCrNi,single,experiment,"ok"\n', 2,
     "is not closed on that line"),
    (HEAD + 'CoCrFeMnNi,single,experiment,"cracked\nCoCrNi,single,experiment,x\nFeNi,single,experiment,y"\n', 2,
     "closes only on line 4, so line 3 (CoCrNi,single,experiment,x) would be read into that cell"),
    ('composition,"outcome,source\nCoCrNi,single,experiment\n', 1, "(column 2) is never closed"),
    (HEAD + 'CoCrNi,single,experiment,"ok" later\n', 2, "not a readable CSV line"),
])
def test_a_quote_that_would_swallow_rows_is_refused(tmp_path: Path, text: str, line: int, says: str) -> None:
    with pytest.raises(SheetError) as info:
        _sheet(tmp_path, text)
    assert info.value.line == line
    assert str(info.value).startswith(f"f.csv, line {line}: ") and says in str(info.value)
    assert "close the quote" in str(info.value) or "check the quotes" in str(info.value)


def test_doubled_quotes_and_a_note_over_two_lines_are_read_as_written(tmp_path: Path) -> None:
    sheet = _sheet(tmp_path, HEAD + 'CoCrFeMnNi,single,experiment,"he said ""FCC"", ok"\r\n'
                   'CoCrNi,single,experiment,"cracked,\r\nsee photo 3"\r\nFeNi,multi,experiment,\r\n')
    assert sheet.rows == [(2, ["CoCrFeMnNi", "single", "experiment", 'he said "FCC", ok']),
                          (3, ["CoCrNi", "single", "experiment", "cracked,\r\nsee photo 3"]),
                          (5, ["FeNi", "multi", "experiment", ""])]
