"""CALPHAD phase labels with pycalphad: databases, the phase rule, equilibria, worker
processes, and the import of results computed elsewhere.

- :mod:`alloyloop.campaigns.tdb`: where a TDB file is (a path, or ``pycalphad:NAME`` for the
  databases pycalphad ships with its tests), its elements and SHA-256, without pycalphad.
- :mod:`alloyloop.agent.calphad.phases`: phase fractions → ``single`` / ``multi`` and the store's
  phase vocabulary (pure; the rule lives only here).
- :mod:`alloyloop.agent.calphad.equilibrium`: one equilibrium with pycalphad (runs in a worker).
- :mod:`alloyloop.agent.calphad.pool`: worker processes with a hard per-calculation time limit.
- :mod:`alloyloop.agent.calphad.csv_import`: CALPHAD results exported as CSV by other tools.
- :mod:`alloyloop.agent.calphad.campaign_labels`: the labeler of ``alloyloop label calphad``
  (the command line's options, else the spec's).

The labeler itself (the :class:`alloyloop.agent.labelers.Labeler` protocol) is
:mod:`alloyloop.agent.labelers.calphad`; a round's flow and the CLI label through the one
path of every labeler, :mod:`alloyloop.agent.rounds.labelling`.

Nothing here may be named ``pycalphad_*``: pycalphad imports every top-level module of
that name it finds on ``sys.path`` as a plugin.
"""
