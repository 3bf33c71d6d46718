"""Options classes of the plug points: frozen, torch-free, validated when built.

- :mod:`.checks`      the validators bounds are declared with (one message style: value and fix)
- :mod:`.collect`     build a class from a TOML table, reporting every bad key at once
- :mod:`.strategies`  one class per strategy kind
- :mod:`.labelers`    one class per labeler kind
- :mod:`.calibration` the ``[calibration]`` section (own-record calibration of recorded p)

:mod:`alloyloop.campaigns.registry` maps each kind to its class and implementation.
"""
