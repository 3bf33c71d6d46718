"""The worked example specs shipped with the package (``campaigns/examples/*.toml``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alloyloop.campaigns.spec import CampaignSpec, load_spec

_PACKAGE = "alloyloop.campaigns"
_FOLDER = "examples"


def example_names() -> list[str]:
    """Names of the bundled specs (file names without ``.toml``), sorted."""
    folder = resources.files(_PACKAGE).joinpath(_FOLDER)
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def example_path(name: str) -> Path:
    """Path of a bundled spec.

    Raises:
        KeyError: no such example (the message lists them).
    """
    if name not in example_names():
        raise KeyError(f"no bundled spec named {name!r}: use one of {', '.join(example_names())}")
    return Path(str(resources.files(_PACKAGE).joinpath(_FOLDER, f"{name}.toml")))


def load_example(name: str) -> CampaignSpec:
    """A bundled spec, validated."""
    return load_spec(example_path(name))
