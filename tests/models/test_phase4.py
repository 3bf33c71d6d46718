"""The DVAE with the phase4 label (FCC / BCC / HCP / multi) on a few hundred real corpus
alloys: classes and shapes, p(single) as the sum of the structures, decoding per class,
partial labels, calibration, checkpoints, the per-class torch members, config errors.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from alloyloop.featurize.matrix import fraction_matrix
from alloyloop.models.calibration import (
    apply_temperature_softmax,
    fit_temperature_softmax,
    masked_nll,
)
from alloyloop.models.config import ConfigError, DVAEConfig
from alloyloop.models.dvae import DisentangledVAE
from alloyloop.models.labels import PHASE4_CLASSES, mask_class, phase4_masks
from alloyloop.models.target import target_members
from alloyloop.models.torch_members import member_class_logits, member_logits, torch_decoder

from tests.fixtures.dvae import corpus_rows, fast

torch.set_num_threads(1)

PALETTE = ("Al", "Co", "Cr", "Cu", "Fe", "Mn", "Ni", "Ti", "V", "Nb", "Mo", "Ta", "W",
           "Zr", "Hf", "Re", "Ru", "Os", "Rh", "Ir")
FAST4 = fast(label="phase4", max_epochs=5, patience=4, vae_max_epochs=4)


@pytest.fixture(scope="module")
def corpus():
    """Up to 120 alloys of each phase4 class inside the palette (seeded), and 100 others
    as unlabelled alloys."""
    df = corpus_rows(PALETTE, phase4=True)
    parts = [g.sample(min(len(g), 120), random_state=0) for _, g in df.groupby("phase4")]
    picked = np.concatenate([p.index.to_numpy() for p in parts])
    rest = df.drop(index=picked).sample(100, random_state=1)
    sel = df.loc[picked]
    X = fraction_matrix(sel["fractions"], PALETTE)
    y = sel["phase4"].to_numpy(dtype=object)
    return X, y, fraction_matrix(rest["fractions"], PALETTE)


@pytest.fixture(scope="module")
def fitted(corpus):
    X, y, Xu = corpus
    return DisentangledVAE(FAST4, elements=PALETTE, seed=0).fit(X, y, X_unlabelled=Xu)


def test_corpus_sample_has_every_class(corpus):
    _, y, _ = corpus
    assert {"FCC", "BCC", "HCP", "multi-phase"} <= set(y)


def test_classes_and_shapes(fitted, corpus):
    X, _, _ = corpus
    assert fitted.classes == PHASE4_CLASSES == ("FCC", "BCC", "HCP", "multi")
    p4 = fitted.predict_phase_proba(X)
    assert p4.shape == (len(X), 4) and p4.dtype == np.float64
    np.testing.assert_allclose(p4.sum(axis=1), 1.0, atol=1e-9)
    # p(single) is the sum of the three structures, for every existing caller
    np.testing.assert_allclose(fitted.predict_proba(X), p4[:, :3].sum(axis=1), atol=1e-9)
    detail = fitted.predict_detail(X[:5])
    np.testing.assert_allclose(detail.p_single, p4[:5, :3].sum(axis=1), atol=1e-9)
    assert set(fitted.predict_phase(X)) <= set(PHASE4_CLASSES)
    assert fitted.predict(X).dtype == np.int64
    assert fitted.classifier_head()(torch.as_tensor(fitted.transform(X[:4]),
                                                    dtype=torch.float32)).shape == (4, 1)


def test_metrics_report_labels(fitted):
    m = fitted.metrics
    assert m["label"] == "phase4"
    assert set(m["label_counts"]) == {*PHASE4_CLASSES, "single (structure unknown)"}
    assert sum(m["label_counts"].values()) == m["n_train"]
    assert 0.0 <= m["val_phase4_balanced_accuracy"] <= 1.0
    assert set(m["label_class_gap"]) == set(PHASE4_CLASSES)


def test_decode_differs_between_structures(fitted):
    z = np.random.default_rng(0).standard_normal((50, 2))
    decoded = {k: fitted.decode(z, k) for k in fitted.classes}
    for k, x in decoded.items():
        np.testing.assert_allclose(x.sum(axis=1), 1.0, atol=1e-9)
    tv = 0.5 * np.abs(decoded["FCC"] - decoded["BCC"]).sum(axis=1)
    assert tv.mean() > 0.01
    assert not np.allclose(decoded["BCC"], decoded["multi"])
    # y per row, encode conditioned on a class name
    mixed = fitted.decode(z[:4], np.array(["FCC", "BCC", "HCP", "multi"], dtype=object))
    np.testing.assert_allclose(mixed[1], decoded["BCC"][1])
    assert fitted.encode(decoded["BCC"][:3], "BCC").shape == (3, 2)
    assert fitted.encode(decoded["BCC"][:3]).shape == (3, 2)


def test_phase4_y_errors_name_the_fix(fitted):
    for bad in (2, "single", "bcc-ish"):
        with pytest.raises(ValueError, match="decode\\(z, 'BCC'\\)"):
            fitted.decode(np.zeros((1, 2)), bad)
    # 1 / 0 mean single-phase / multi-phase to the generative callers written for y = 1
    np.testing.assert_array_equal(fitted.decode(np.zeros((1, 2)), 1),
                                  fitted.decode(np.zeros((1, 2)), fitted.single_class))
    with pytest.raises(ValueError, match="FCC, BCC, HCP or multi"):
        DisentangledVAE(FAST4, elements=PALETTE).fit(np.eye(20)[:4], ["FCC", "bcc", "x", "multi"])
    with pytest.raises(ValueError, match="not numbers"):
        phase4_masks([1, 0])


def test_partial_labels(corpus):
    """Single-phase alloys of unknown structure count as 'single' (FCC or BCC or HCP):
    their likelihood is the summed structure probability, nothing is dropped."""
    X, y, _ = corpus
    y2 = y.copy()
    single = np.flatnonzero(y2 != "multi-phase")
    y2[single[::2]] = "single"
    masks = phase4_masks(y2)
    assert (mask_class(masks) == -1).sum() == len(single[::2])
    model = DisentangledVAE(FAST4, elements=PALETTE, seed=0).fit(X, y2)
    counts = model.metrics["label_counts"]
    assert counts["single (structure unknown)"] > 0
    assert sum(counts.values()) == model.metrics["n_train"]
    assert np.isfinite(model.metrics["val_nll"])


def test_masked_nll_and_temperature():
    logits = np.array([[2.0, 0.0, -1.0, 0.5], [0.0, 3.0, 0.0, 0.0], [0.0, 0.0, 0.0, 4.0]])
    exact = phase4_masks(["FCC", "BCC", "multi"])
    partial = phase4_masks(["single", "single", "multi"])
    # a partial label is never less likely than one of the classes it allows
    assert masked_nll(logits, partial) <= masked_nll(logits, exact) + 1e-12
    p = apply_temperature_softmax(logits, 2.0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    rng = np.random.default_rng(0)
    big = rng.normal(size=(300, 4)) * 3
    labels = np.array(PHASE4_CLASSES, dtype=object)[big.argmax(axis=1)]
    flip = rng.random(300) < 0.3
    labels[flip] = np.array(PHASE4_CLASSES, dtype=object)[rng.integers(0, 4, flip.sum())]
    t = fit_temperature_softmax(big, phase4_masks(labels))
    assert t > 1.0  # over-confident logits are softened
    assert fit_temperature_softmax(big[:0], phase4_masks([])) == 1.0


def test_checkpoint_round_trip(fitted, corpus, tmp_path):
    X, _, _ = corpus
    fitted.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "meta.json").read_text())
    assert meta["config"]["label"] == "phase4"
    back = DisentangledVAE.load(tmp_path / "m")
    assert back.classes == fitted.classes
    np.testing.assert_array_equal(back.predict_phase_proba(X), fitted.predict_phase_proba(X))
    z = np.zeros((2, 2))
    np.testing.assert_array_equal(back.decode(z, "HCP"), fitted.decode(z, "HCP"))


def test_old_checkpoint_loads_as_binary(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.dirichlet(np.ones(4), 80)
    y = (X[:, 0] < 0.3).astype(int)
    cfg = dataclasses.replace(FAST4, label="single")
    model = DisentangledVAE(cfg, elements=PALETTE[:4], seed=1).fit(X, y)
    model.save(tmp_path / "old")
    meta_path = tmp_path / "old" / "meta.json"
    meta = json.loads(meta_path.read_text())
    del meta["config"]["label"]  # a checkpoint written before the option
    meta_path.write_text(json.dumps(meta))
    back = DisentangledVAE.load(tmp_path / "old")
    assert back.classes == ("single",) and back.config.label == "single"
    np.testing.assert_array_equal(back.predict_proba(X), model.predict_proba(X))
    np.testing.assert_allclose(back.predict_phase_proba(X)[:, 0], model.predict_proba(X))


def test_torch_members_per_class(fitted, corpus):
    X, _, _ = corpus
    x = torch.as_tensor(X[:6], dtype=torch.float64)
    per = member_class_logits(fitted, dropout_members=3, seed=0)
    out = per(x)
    assert out.shape == (3, 6, 4)
    single = member_logits(fitted, dropout_members=3, seed=0)(x)
    assert single.shape == (3, 6)
    p = torch.softmax(out, dim=-1)
    torch.testing.assert_close(torch.sigmoid(single), p[..., :3].sum(-1))
    bcc = target_members(fitted, "BCC", dropout_members=3, seed=0)(x)
    torch.testing.assert_close(torch.sigmoid(bcc), p[..., 1])
    # batch shapes as BoTorch hands them: (b, q, E) -> (b, S, q)
    assert target_members(fitted, "FCC", dropout_members=3)(x.reshape(2, 3, -1)).shape \
        == (2, 3, 3)
    torch.testing.assert_close(target_members(fitted, "single", dropout_members=3, seed=0)(x),
                               single)
    for wrong in ("L12", "multi"):  # multi is a class of the model, not a target
        with pytest.raises(ValueError, match="use one of 'single', 'FCC', 'BCC', 'HCP'"):
            target_members(fitted, wrong)
    dec = torch_decoder(fitted, "BCC")(torch.zeros(2, 2, dtype=torch.float64))
    np.testing.assert_allclose(dec.numpy(), fitted._check_fitted().decoder(
        torch.zeros(2, 2), torch.tensor([[0.0, 1, 0, 0]] * 2)).exp().double().detach().numpy(),
        atol=1e-6)


def test_config_validation_names_the_fix():
    with pytest.raises(ConfigError, match="label='fcc' is invalid: choose 'single'"):
        DVAEConfig(label="fcc")
    assert DVAEConfig.from_dict(FAST4.to_dict()) == FAST4
