"""What we PLANNED: campaign specs (TOML) and their validation.

- :mod:`campaigns.spec`     the :class:`~campaigns.spec.CampaignSpec` schema, ``load_spec`` / ``parse_spec``
- :mod:`campaigns.errors`   :class:`~campaigns.errors.SpecError`: every problem with its key and fix
- :mod:`campaigns.cron`     five-field cron expressions, checked without importing Prefect
- :mod:`campaigns.toml_out` writing a spec back as TOML (the standard library only reads it)
- :mod:`campaigns.bundled`  the worked examples shipped in ``campaigns/examples/*.toml``

Nothing here trains, suggests or touches the store: a spec is checked completely before
any of that starts, so a typo fails in a second, not rounds later.
"""
