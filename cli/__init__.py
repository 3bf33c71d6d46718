"""The ``alloyloop`` command line: the top layer, above :mod:`alloyloop.agent` and
:mod:`alloyloop.web` (see docs/architecture.md)."""
