"""The semi-supervised M2 objective (Kingma et al. 2014), as plain tensor functions.

For a labelled alloy (x, y):
    ELBO(x, y) = E_q(z|x,y)[log p(x|z,y)] − β·KL(q(z|x,y) ‖ N(0, I)) + log p(y)
    loss_L     = −ELBO(x, y) + α·BCE(q(y|x), y)
For an unlabelled alloy x, y is enumerated over {multi, single}:
    U(x)       = Σ_y q(y|x)·ELBO(x, y) + H(q(y|x))
    loss_U     = −U(x)
log p(x|z,y) is multinomial-type: N·Σ_e x_e log π_e(z, y), the log-likelihood of N atoms
drawn with the decoded probabilities π (the multinomial coefficient is constant and
left out). β is the KL warm-up weight. One reparameterized z sample per (x, y).

The VAE phase (classifier frozen) adds two things:
- free bits λ: the KL of each row is Σ_d max(KL_d, λ), so a latent dimension is not
  pushed onto the prior below λ nats (against posterior collapse);
- the label-control term w·[BCE(q(y|decode(z, 1)), 1) + BCE(q(y|decode(z, 0)), 0)] over
  prior draws z, so that y steers decoding along what the classifier calls single-phase
  (:func:`control_loss`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from alloyloop.models.composition import decoder_loglik
from alloyloop.models.networks import M2


@dataclass(frozen=True)
class ElboTerms:
    """Per-row ELBO parts, each ``(n,)``: reconstruction log-likelihood, KL, log p(y)."""

    recon: Tensor
    kl: Tensor
    log_prior_y: Tensor

    def elbo(self, beta: float) -> Tensor:
        """``(n,)`` ELBO with KL weight ``beta``."""
        return self.recon - beta * self.kl + self.log_prior_y


def gaussian_kl_per_dim(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(μ, e^logvar) ‖ N(0, 1)) per dimension: ``(n, d)`` each → ``(n, d)``."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


def gaussian_kl(mu: Tensor, logvar: Tensor, free_bits: float = 0.0) -> Tensor:
    """KL(N(μ, diag e^logvar) ‖ N(0, I)): ``(n, d)`` each → ``(n,)``; with ``free_bits``
    λ > 0 each dimension counts as max(KL_d, λ)."""
    kl = gaussian_kl_per_dim(mu, logvar)
    if free_bits > 0:
        kl = kl.clamp(min=free_bits)
    return kl.sum(dim=-1)


def multinomial_loglik(x: Tensor, log_probs: Tensor, count: float) -> Tensor:
    """N·Σ_e x_e log π_e: ``x`` ``(n, E)`` fractions, ``log_probs`` ``(n, E)`` → ``(n,)``."""
    return count * (x * log_probs).sum(dim=-1)


def log_label_prior(y: Tensor, p_single: Tensor) -> Tensor:
    """log p(y) under a Bernoulli prior with per-row ``p_single``; all ``(n,)``."""
    return torch.where(y > 0.5, p_single.log(), (1.0 - p_single).log())


def elbo_terms(model: M2, x: Tensor, y: Tensor, p_single: Tensor, count: float,
               free_bits: float = 0.0) -> ElboTerms:
    """ELBO parts for given labels.

    Args:
        model: the networks.
        x: ``(n, E)`` fractions.
        y: ``(n,)`` float labels in {0, 1}.
        p_single: ``(n,)`` prior probability of y = 1 (0.5 for the flat prior).
        count: effective atom count N of the composition likelihood
            (:mod:`alloyloop.models.composition`).
        free_bits: λ of the free-bits KL (0 = the plain KL).
    """
    mu, logvar = model.encoder(x, y)
    z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
    return ElboTerms(
        recon=decoder_loglik(model.decoder, z, y, x, count),
        kl=gaussian_kl(mu, logvar, free_bits),
        log_prior_y=log_label_prior(y, p_single),
    )


def labelled_loss(model: M2, x: Tensor, features: Tensor, y: Tensor, p_single: Tensor, *,
                  alpha: float, beta: float, count: float, smoothing: float = 0.0
                  ) -> tuple[Tensor, Tensor]:
    """Mean labelled loss −ELBO + α·BCE (BCE averaged over classifier heads).

    Args:
        x: ``(n, E)`` fractions; features: ``(n, F)`` classifier inputs; y: ``(n,)``;
        p_single: ``(n,)`` label prior.
        smoothing: label smoothing ε of the BCE target, y·(1 − ε) + ε/2 (the ELBO keeps
            the hard label).

    Returns:
        ``(loss, bce)``: scalar loss and the scalar mean BCE (for logging).
    """
    terms = elbo_terms(model, x, y, p_single, count)
    # Each head gets its own BCE so the heads stay an ensemble, not one wide network.
    heads = model.classifier.head_logits(features)
    target = y * (1.0 - smoothing) + 0.5 * smoothing if smoothing else y
    bce = F.binary_cross_entropy_with_logits(heads, target.expand_as(heads))
    return -terms.elbo(beta).mean() + alpha * bce, bce


def label_posterior(logits: Tensor) -> Tensor:
    """q(y|x) for both classes: ``(n,)`` logits → ``(n, 2)`` probabilities [multi, single]."""
    return torch.stack([torch.sigmoid(-logits), torch.sigmoid(logits)], dim=-1)


def unlabelled_loss(model: M2, x: Tensor, features: Tensor, p_single: Tensor, *,
                    beta: float, count: float, free_bits: float = 0.0,
                    classifier: str = "m2") -> tuple[Tensor, Tensor]:
    """Mean unlabelled loss −U(x), with y enumerated over {0, 1}.

    Args:
        x: ``(n, E)``; features: ``(n, F)``; p_single: ``(n,)`` label prior.
        classifier: what the term asks of q(y|x) (``DVAEConfig.unlabelled_classifier``):
            ``"m2"`` the whole −U; ``"no_entropy"`` −Σ_y q·ELBO without H(q);
            ``"detached"`` q is a constant weight (no gradient reaches the classifier).

    Returns:
        ``(loss, q)``: scalar loss and the ``(n, 2)`` posterior q(y|x) used as weights.
    """
    n = x.shape[0]
    y_enum = torch.cat([x.new_zeros(n), x.new_ones(n)])
    terms = elbo_terms(model, x.repeat(2, 1), y_enum, p_single.repeat(2), count, free_bits)
    elbo = terms.elbo(beta).view(2, n).T  # (n, 2): column k is ELBO(x, y = k)
    logits = model.classifier(features)
    if classifier == "detached":
        logits = logits.detach()
    q = label_posterior(logits)
    u = (q * elbo).sum(dim=-1)
    if classifier != "no_entropy":
        log_q = torch.stack([F.logsigmoid(-logits), F.logsigmoid(logits)], dim=-1)
        u = u - (q * log_q).sum(dim=-1)
    return -u.mean(), q


def pseudo_label_loss(heads: Tensor, teacher: Tensor, threshold: float) -> Tensor:
    """Confidence-thresholded pseudo-label BCE (Lee 2013; FixMatch's binary form).

    Args:
        heads: ``(H, n)`` the student's head logits (train mode: dropout, maybe a
            perturbed composition).
        teacher: ``(n,)`` logits of the same alloys without dropout or perturbation
            (no gradient).
        threshold: τ in [0.5, 1): a row counts when max(p, 1 − p) ≥ τ, with its
            hard label (p ≥ 0.5).

    Returns:
        scalar: Σ over the confident rows of the head-averaged BCE, divided by all n rows
        (so the share of confident rows scales the term, as in FixMatch).
    """
    p = torch.sigmoid(teacher)
    keep = (torch.maximum(p, 1.0 - p) >= threshold).float()
    target = (p >= 0.5).float().expand_as(heads)
    bce = F.binary_cross_entropy_with_logits(heads, target, reduction="none").mean(dim=0)
    return (keep * bce).mean()


def control_loss(model: M2, inputs: Callable[[Tensor], Tensor], z: Tensor) -> Tensor:
    """Label-control loss BCE(q(y|decode(z, 1)), 1) + BCE(q(y|decode(z, 0)), 0).

    Args:
        model: the networks (the classifier is meant to be frozen: the term trains the
            decoder only).
        inputs: differentiable fractions ``(n, E)`` → classifier inputs ``(n, F)``
            (:class:`alloyloop.models.torch_features.TorchClassifierInputs`).
        z: ``(n, latent_dim)`` prior draws.

    Returns:
        scalar loss.
    """
    n = z.shape[0]
    ones, zeros = z.new_ones(n), z.new_zeros(n)
    x1 = model.decoder(z, ones).exp()
    x0 = model.decoder(z, zeros).exp()
    logits = model.classifier(inputs(torch.cat([x1, x0])))
    return (F.binary_cross_entropy_with_logits(logits[:n], ones)
            + F.binary_cross_entropy_with_logits(logits[n:], zeros))
