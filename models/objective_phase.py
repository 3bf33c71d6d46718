"""The M2 objective for a K-class label (phase4: FCC / BCC / HCP / multi), as tensor
functions beside the binary ones of :mod:`alloyloop.models.objective`.

A labelled row carries a mask ``(K,)`` of the classes its label allows: one class for
an exact label, several for a partial one (``"single"``: FCC, BCC or HCP), all K for an
unlabelled alloy. With q(k|x) the classifier's softmax:

    exact label k:   ELBO(x, k) = E_q(z|x,k)[log p(x|z,k)] − β·KL + log p(y = k)
    masked (partial or unlabelled): U(x) = Σ_{k∈mask} q̃(k|x)·ELBO(x, k) + H(q̃),
                     q̃ = q restricted to the mask and renormalized (M2's marginalization
                     over the allowed classes only)
    classification:  −log Σ_{k∈mask} q(k|x)   (the likelihood of a partial label)
    loss_L = −mean ELBO / U + α·classification;  loss_U = −mean U

The label prior splits the rule prior's p(single) evenly over the three structures:
p(FCC) = p(BCC) = p(HCP) = p_single / 3, p(multi) = 1 − p_single.

The label-control term of the VAE phase decodes every prior draw with each class k and
asks the frozen classifier to call decode(z, k) class k: Σ_k CE(q(·|decode(z, k)), k)
(for K = 2 this is the binary term).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from alloyloop.models.networks import M2
from alloyloop.models.composition import decoder_loglik
from alloyloop.models.objective import ElboTerms, gaussian_kl

_MASKED = -1e4
"""Added to the logits of classes a mask forbids: exp underflows to exactly 0 while the
log stays finite, so entropies and gradients have no 0·(−inf)."""


def one_hot(index: Tensor, k: int) -> Tensor:
    """``(n,)`` int class indices → ``(n, k)`` float one-hot codes."""
    return F.one_hot(index.long(), k).float()


def log_class_prior(p_single: Tensor, k: int) -> Tensor:
    """``(n,)`` p(single) → ``(n, k)`` log p(y): p_single / (k − 1) per single-phase
    class, 1 − p_single for the last class (multi)."""
    single = (p_single / (k - 1)).log().unsqueeze(-1).expand(-1, k - 1)
    return torch.cat([single, (1.0 - p_single).log().unsqueeze(-1)], dim=-1)


def _terms(model: M2, x: Tensor, code: Tensor, log_prior: Tensor, count: float,
           free_bits: float) -> ElboTerms:
    mu, logvar = model.encoder(x, code)
    z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
    return ElboTerms(recon=decoder_loglik(model.decoder, z, code, x, count),
                     kl=gaussian_kl(mu, logvar, free_bits), log_prior_y=log_prior)


def class_elbos(model: M2, x: Tensor, p_single: Tensor, k: int, *, beta: float,
                count: float, free_bits: float = 0.0) -> Tensor:
    """``(n, k)``: column j is ELBO(x, y = j) (one reparameterized draw each)."""
    n = x.shape[0]
    index = torch.arange(k).repeat_interleave(n)
    prior = log_class_prior(p_single, k).T.reshape(-1)
    terms = _terms(model, x.repeat(k, 1), one_hot(index, k), prior, count, free_bits)
    return terms.elbo(beta).view(k, n).T


def masked_elbo(model: M2, x: Tensor, logits: Tensor, mask: Tensor, p_single: Tensor, *,
                beta: float, count: float, free_bits: float = 0.0,
                entropy: bool = True) -> Tensor:
    """``(n,)`` per-row ELBO: ELBO(x, k) for an exact label, U(x) over the mask otherwise.

    Args:
        x: ``(n, E)``; logits: ``(n, K)`` ensemble logits (the weights q̃); mask:
        ``(n, K)`` 0/1 allowed classes; p_single: ``(n,)`` label prior.
        entropy: add H(q̃) to U (False: Σ q̃·ELBO only).
    """
    k = mask.shape[1]
    out = x.new_zeros(x.shape[0])
    exact = mask.sum(dim=1) == 1
    if exact.any():
        idx = mask[exact].argmax(dim=1)
        prior = log_class_prior(p_single[exact], k).gather(1, idx[:, None]).squeeze(1)
        out[exact] = _terms(model, x[exact], one_hot(idx, k), prior, count,
                            free_bits).elbo(beta)
    rest = ~exact
    if rest.any():
        elbo = class_elbos(model, x[rest], p_single[rest], k, beta=beta, count=count,
                           free_bits=free_bits)
        log_q = torch.log_softmax(logits[rest] + (1.0 - mask[rest]) * _MASKED, dim=-1)
        q = log_q.exp()
        out[rest] = (q * elbo).sum(dim=-1) - entropy * (q * log_q).sum(dim=-1)
    return out


def partial_nll(logits: Tensor, mask: Tensor) -> Tensor:
    """``(..., n, K)`` logits, ``(n, K)`` mask → ``(..., n)`` −log Σ_{k∈mask} softmax_k."""
    log_q = torch.log_softmax(logits, dim=-1)
    return -torch.logsumexp(log_q + (1.0 - mask) * _MASKED, dim=-1)


def labelled_loss(model: M2, x: Tensor, features: Tensor, mask: Tensor, p_single: Tensor,
                  *, alpha: float, beta: float, count: float, free_bits: float = 0.0,
                  smoothing: float = 0.0) -> tuple[Tensor, Tensor]:
    """Mean labelled loss −ELBO + α·(partial-label cross-entropy, averaged over heads).

    ``smoothing`` ε mixes the partial-label likelihood with the uniform target:
    (1 − ε)·CE(mask) + ε·mean_k −log q_k.

    Returns ``(loss, ce)`` (scalars)."""
    heads = model.classifier.head_logits(features)  # (H, n, K)
    ce = partial_nll(heads, mask).mean()
    if smoothing:
        uniform = -torch.log_softmax(heads, dim=-1).mean()
        ce = (1.0 - smoothing) * ce + smoothing * uniform
    elbo = masked_elbo(model, x, heads.mean(dim=0), mask, p_single, beta=beta, count=count,
                       free_bits=free_bits)
    return -elbo.mean() + alpha * ce, ce


def unlabelled_loss(model: M2, x: Tensor, features: Tensor, p_single: Tensor, k: int, *,
                    beta: float, count: float, free_bits: float = 0.0,
                    classifier: str = "m2") -> tuple[Tensor, Tensor]:
    """Mean −U(x) over all k classes; returns ``(loss, q)`` with q ``(n, k)``.
    ``classifier`` as in :func:`alloyloop.models.objective.unlabelled_loss`."""
    logits = model.classifier(features)
    if classifier == "detached":
        logits = logits.detach()
    elbo = masked_elbo(model, x, logits, x.new_ones(x.shape[0], k), p_single, beta=beta,
                       count=count, free_bits=free_bits, entropy=classifier != "no_entropy")
    return -elbo.mean(), torch.softmax(logits, dim=-1)


def pseudo_label_loss(heads: Tensor, teacher: Tensor, threshold: float) -> Tensor:
    """The K-class form of :func:`alloyloop.models.objective.pseudo_label_loss`:
    ``(H, n, K)`` student head logits, ``(n, K)`` teacher logits; a row counts when its
    largest teacher softmax is ≥ τ, with that class as the target."""
    conf, target = torch.softmax(teacher, dim=-1).max(dim=-1)
    keep = (conf >= threshold).float()
    ce = torch.stack([F.cross_entropy(h, target, reduction="none") for h in heads]).mean(0)
    return (keep * ce).mean()


def control_loss(model: M2, inputs: Callable[[Tensor], Tensor], z: Tensor, k: int) -> Tensor:
    """Σ_j CE(q(·|decode(z, j)), j) over the k classes (mean over the draws z)."""
    n = z.shape[0]
    index = torch.arange(k).repeat_interleave(n)
    x = model.decoder(z.repeat(k, 1), one_hot(index, k)).exp()
    logits = model.classifier(inputs(x))
    return k * F.cross_entropy(logits, index)
