"""The three networks of the Kingma-M2 model: classifier q(y|x), encoder q(z|x,y) and
decoder p(x|z,y). Plain ``torch.nn`` modules; shapes are given per method.

y enters the encoder and decoder as ``y_dim`` columns: for the binary label a single 0/1
column (1 = single-phase; the one-hot code of two classes minus a redundant column), for
a K-class label (phase4) its one-hot code. The classifier has one logit (binary) or K;
each head ends in a :class:`SoftCap` that bounds its logits (``DVAEConfig.probability_floor``).
"""

from __future__ import annotations

from collections.abc import Sequence

import math

import torch
from torch import Tensor, nn

_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "softplus": nn.Softplus,
    "relu": nn.ReLU,
    "elu": nn.ELU,
    "tanh": nn.Tanh,
}


def mlp(
    d_in: int,
    hidden: Sequence[int],
    d_out: int,
    *,
    activation: str = "softplus",
    dropout: float = 0.0,
) -> nn.Sequential:
    """``d_in → hidden… → d_out`` with an activation (and optional dropout) after every
    hidden layer and a linear output."""
    act = _ACTIVATIONS[activation]
    layers: list[nn.Module] = []
    width = d_in
    for h in hidden:
        layers += [nn.Linear(width, h), act()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = h
    layers.append(nn.Linear(width, d_out))
    return nn.Sequential(*layers)


def logit_bound(floor: float, n_logits: int) -> float | None:
    """The cap c of :class:`SoftCap` that keeps every class probability in [ε, 1 − ε]
    (ε = ``floor``; None when ``floor`` is 0: no cap).

    One logit (sigmoid): c = log((1 − ε) / ε), 9.21 for ε = 1e-4. K logits (softmax),
    each in [−c, c]: the least probable class gets at least 1 / (1 + (K − 1)·e^{2c}), so
    c = ½·log((1 − ε) / (ε·(K − 1))), 4.06 for K = 4; the most probable then stays below
    1 − ε too. A temperature T ≥ 1 only shrinks logits, so calibration keeps the bound.
    """
    if floor <= 0:
        return None
    odds = (1.0 - floor) / floor
    c = math.log(odds) if n_logits == 1 else 0.5 * math.log(odds / (n_logits - 1))
    return c * (1.0 - 1e-6)  # a hair inside, so float32 rounding of c cannot cross ε


class SoftCap(nn.Module):
    """``c·tanh(x / c)`` in eval mode: the identity near 0, smoothly bounded to (−c, c)
    (so gradients, e.g. of a BoTorch acquisition, never vanish abruptly as under a
    clamp). In train mode it passes logits through: capped during training, the
    classification loss of a confidently wrong alloy has no gradient left to correct
    it (grouped fold 0: balanced accuracy 0.753 → 0.704). Every prediction runs in eval
    mode (``predict_proba``, the torch members and scorer, the SHAP head, the frozen
    classifier of the VAE phase), and the cap is monotone, so the class ranking and
    every prediction's class are those of the uncapped classifier.

    The tanh is an ``nn.Tanh`` child module, so shap's DeepExplainer applies its DeepLIFT
    rule to it (the scalings are linear). No parameters: the state dict is unchanged.
    """

    def __init__(self, bound: float) -> None:
        super().__init__()
        self.bound = float(bound)
        self.tanh = nn.Tanh()

    def forward(self, x: Tensor) -> Tensor:
        if self.training:
            return x
        return self.bound * self.tanh(x / self.bound)

    def extra_repr(self) -> str:
        return f"bound={self.bound:.4g}"


class Classifier(nn.Module):
    """q(y | x) from the classifier input vector: the logit of y = 1 (``n_logits`` = 1)
    or K class logits (softmax).

    ``n_heads`` independently initialised MLPs are averaged in logit space (a small
    deep ensemble inside one module; 1 head = a plain MLP). With ``logit_bound`` c each
    head's last module is a :class:`SoftCap` (so every member, and their mean, stays in
    (−c, c)).
    """

    def __init__(self, d_in: int, hidden: Sequence[int], *, activation: str,
                 dropout: float, n_heads: int = 1, n_logits: int = 1,
                 logit_bound: float | None = None) -> None:
        super().__init__()
        self.n_logits = n_logits
        self.heads = nn.ModuleList(
            mlp(d_in, hidden, n_logits, activation=activation, dropout=dropout)
            for _ in range(n_heads)
        )
        if logit_bound is not None:
            for head in self.heads:
                head.append(SoftCap(logit_bound))

    def head_logits(self, features: Tensor) -> Tensor:
        """``(n, d_in)`` → ``(n_heads, n)`` logits of y = 1, one row per head (``(n_heads,
        n, K)`` with K logits)."""
        if self.n_logits == 1:
            return torch.stack([h(features).squeeze(-1) for h in self.heads], dim=0)
        return torch.stack([h(features) for h in self.heads], dim=0)

    def forward(self, features: Tensor) -> Tensor:
        """``(n, d_in)`` → ``(n,)`` ensemble logits of y = 1 (mean over heads; ``(n, K)``
        with K logits)."""
        return self.head_logits(features).mean(dim=0)


class CalibratedHead(nn.Module):
    """p(single) = σ(logit / T) of a classifier, as an ``(n, 1)`` output.

    The sigmoid is an ``nn.Sigmoid`` *module*: shap 0.51's DeepExplainer is exact only
    then (a ``torch.sigmoid`` call inside ``forward`` breaks its additivity).
    """

    def __init__(self, classifier: nn.Module, temperature: float) -> None:
        super().__init__()
        self.classifier = classifier
        self.inv_temperature = 1.0 / float(temperature)
        self.sigmoid = nn.Sigmoid()

    def forward(self, features: Tensor) -> Tensor:
        """``(n, d_in)`` classifier inputs → ``(n, 1)`` calibrated p(single)."""
        return self.sigmoid(self.classifier(features) * self.inv_temperature).unsqueeze(-1)


class Encoder(nn.Module):
    """q(z | x, y) = Normal(μ, diag σ²) from fractions and label."""

    def __init__(self, n_elements: int, latent_dim: int, hidden: Sequence[int], *,
                 activation: str, y_dim: int = 1, presence_input: str = "off") -> None:
        super().__init__()
        # DVAEConfig.encoder_presence: "both" = the element set 1[x > 0] as E more inputs
        # of the first layer; "vae" = its own weights into the first layer, zero and drawn
        # from no RNG, so the network (and a classifier phase that leaves them at zero) is
        # the plain encoder's to the bit until the VAE phase trains them
        width = n_elements * (2 if presence_input == "both" else 1) + y_dim
        self.net = mlp(width, hidden, 2 * latent_dim, activation=activation)
        self.latent_dim = latent_dim
        self.presence_input = presence_input
        first = hidden[0] if hidden else 2 * latent_dim
        self.presence = (nn.Parameter(torch.zeros(first, n_elements))
                         if presence_input == "vae" else None)

    def forward(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        """``x`` ``(n, E)`` fractions, ``y`` ``(n,)`` in {0, 1} (or ``(n, K)`` one-hot) →
        ``(μ, log σ²)``, each ``(n, latent_dim)``. log σ² is clamped to [-12, 6] so early
        steps cannot blow up."""
        present = (x > 0).to(x.dtype)
        if self.presence is not None:
            h = self.net[0](torch.cat([x, _columns(y)], dim=-1)) + present @ self.presence.T
            out = self.net[1:](h)
        else:
            parts = [x, present, _columns(y)] if self.presence_input == "both" else [x, _columns(y)]
            out = self.net(torch.cat(parts, dim=-1))
        mu, logvar = out.split(self.latent_dim, dim=-1)
        return mu, logvar.clamp(-12.0, 6.0)


class Decoder(nn.Module):
    """p(x | z, y): a categorical distribution over the palette (softmax logits)."""

    def __init__(self, n_elements: int, latent_dim: int, hidden: Sequence[int], *,
                 activation: str, y_dim: int = 1) -> None:
        super().__init__()
        self.net = mlp(latent_dim + y_dim, hidden, n_elements, activation=activation)

    def forward(self, z: Tensor, y: Tensor) -> Tensor:
        """``z`` ``(n, latent_dim)``, ``y`` ``(n,)`` (or ``(n, K)`` one-hot) → ``(n, E)``
        log-probabilities (``log_softmax``; ``exp`` of a row sums to 1)."""
        return torch.log_softmax(self.net(torch.cat([z, _columns(y)], dim=-1)), dim=-1)


class PresenceDecoder(nn.Module):
    """p(x | z, y) as element presence times fractions (``composition_likelihood =
    "presence"``, :mod:`alloyloop.models.composition`): one MLP with 2E outputs, the
    presence logits ``a`` (Bernoulli per element) and the fraction logits ``b``.

    ``forward`` returns log π of the soft composition π = softmax(log σ(a) + b), a
    distribution over the palette like :class:`Decoder`'s, so every differentiable
    consumer (label-control term, element-count prior, BoTorch's ``TorchDecoder``) works
    unchanged; ``DisentangledVAE.decode`` keeps the elements with σ(a) ≥ 0.5.
    """

    def __init__(self, n_elements: int, latent_dim: int, hidden: Sequence[int], *,
                 activation: str, y_dim: int = 1, presence_weight: float = 1.0,
                 presence_threshold: float = 0.5) -> None:
        super().__init__()
        self.net = mlp(latent_dim + y_dim, hidden, 2 * n_elements, activation=activation)
        self.n_elements = n_elements
        self.presence_weight = float(presence_weight)
        # decoding keeps the elements with σ(a) ≥ this (a config setting, not a weight)
        self.presence_threshold = float(presence_threshold)
        # per-element weights of the presence term's present / absent entries, set by the
        # trainer for the VAE phase only (DVAEConfig.presence_balance); not a weight
        self.balance: tuple[Tensor, Tensor] | None = None

    def parts(self, z: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        """``(presence logits, fraction logits)``, each ``(n, E)``."""
        out = self.net(torch.cat([z, _columns(y)], dim=-1))
        return out[..., :self.n_elements], out[..., self.n_elements:]

    def forward(self, z: Tensor, y: Tensor) -> Tensor:
        """``(n, E)`` log-probabilities of the soft composition (``exp`` sums to 1)."""
        a, b = self.parts(z, y)
        return torch.log_softmax(torch.nn.functional.logsigmoid(a) + b, dim=-1)  # log π


def _columns(y: Tensor) -> Tensor:
    """``(n,)`` 0/1 labels → ``(n, 1)``; ``(n, K)`` codes as they are."""
    return y.unsqueeze(-1) if y.dim() == 1 else y


class M2(nn.Module):
    """Container of the three networks, so one ``state_dict`` holds every weight."""

    def __init__(self, *, n_elements: int, n_features: int, latent_dim: int,
                 encoder_hidden: Sequence[int], decoder_hidden: Sequence[int],
                 classifier_hidden: Sequence[int], activation: str,
                 classifier_activation: str, dropout: float, n_heads: int,
                 n_classes: int = 1, probability_floor: float = 0.0,
                 composition_likelihood: str = "multinomial",
                 presence_weight: float = 1.0, presence_threshold: float = 0.5,
                 encoder_presence: str = "off") -> None:
        super().__init__()
        # n_classes = 1: the binary label (one logit, one 0/1 column); K: one-hot K.
        self.classifier = Classifier(n_features, classifier_hidden,
                                     activation=classifier_activation,
                                     dropout=dropout, n_heads=n_heads, n_logits=n_classes,
                                     logit_bound=logit_bound(probability_floor, n_classes))
        self.encoder = Encoder(n_elements, latent_dim, encoder_hidden, activation=activation,
                               y_dim=n_classes, presence_input=encoder_presence)
        if composition_likelihood == "presence":
            self.decoder = PresenceDecoder(n_elements, latent_dim, decoder_hidden,
                                           activation=activation, y_dim=n_classes,
                                           presence_weight=presence_weight,
                                           presence_threshold=presence_threshold)
        else:
            self.decoder = Decoder(n_elements, latent_dim, decoder_hidden,
                                   activation=activation, y_dim=n_classes)


class CalibratedSingleHead(CalibratedHead):
    """p(single) = P(FCC) + P(BCC) + P(HCP) = σ(logsumexp(l_single / T) − l_multi / T) of
    a K-class classifier whose last class is multi-phase, as an ``(n, 1)`` output (the
    sigmoid an ``nn.Sigmoid`` module, as :class:`CalibratedHead`)."""

    def forward(self, features: Tensor) -> Tensor:
        """``(n, d_in)`` classifier inputs → ``(n, 1)`` calibrated p(single)."""
        logits = self.classifier(features) * self.inv_temperature
        odds = torch.logsumexp(logits[:, :-1], dim=-1) - logits[:, -1]
        return self.sigmoid(odds).unsqueeze(-1)


class CalibratedClassHead(CalibratedHead):
    """p(class k) = softmax(l / T)_k = σ(l_k / T − logsumexp(l_{j≠k} / T)) of a K-class
    classifier, as an ``(n, 1)`` output: what a structure campaign (target FCC) ranks by,
    for SHAP to explain (the sigmoid an ``nn.Sigmoid`` module, as :class:`CalibratedHead`)."""

    def __init__(self, classifier: nn.Module, temperature: float, column: int) -> None:
        super().__init__(classifier, temperature)
        self.column = int(column)

    def forward(self, features: Tensor) -> Tensor:
        """``(n, d_in)`` classifier inputs → ``(n, 1)`` calibrated p(class ``column``)."""
        logits = self.classifier(features) * self.inv_temperature
        k = self.column
        others = torch.cat([logits[:, :k], logits[:, k + 1:]], dim=-1)
        return self.sigmoid(logits[:, k] - torch.logsumexp(others, dim=-1)).unsqueeze(-1)
