"""What we PLANNED: campaign specs (TOML) and their validation.

- :mod:`alloyloop.campaigns.spec`     the :class:`~campaigns.spec.CampaignSpec` schema, ``load_spec`` / ``parse_spec``
- :mod:`alloyloop.campaigns.sections`  ``[strategies]`` entries, ``[model]``, ``[retrain]``, ``[pool]``, ``[report]``: validated classes
- :mod:`alloyloop.campaigns.space_spec` ``[design_space]`` in the spec's units (at.% or fractions)
- :mod:`alloyloop.campaigns.options`  one options class per strategy and per labeler, bounds declared once
- :mod:`alloyloop.campaigns.registry` kind → options class → implementation (imported lazily by agent)
- :mod:`alloyloop.campaigns.errors`   :class:`~campaigns.errors.SpecError`: every problem with its key and fix
- :mod:`alloyloop.campaigns.cron`     five-field cron expressions, checked without importing Prefect
- :mod:`alloyloop.campaigns.toml_out` writing a spec back as TOML (the standard library only reads it)
- :mod:`alloyloop.campaigns.bundled`  the worked examples shipped in ``campaigns/examples/*.toml``

Nothing here trains, suggests or touches the store: a spec is checked completely before
any of that starts, so a typo fails in a second, not rounds later.
"""
