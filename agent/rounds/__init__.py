"""The campaign loop's services: each step of a round, run against the store through a
session factory (:data:`alloyloop.db.session.SessionFactory`, one engine per run).

- :mod:`~alloyloop.agent.rounds.start`     begin a round (snapshot, data hash, resume or
  start afresh), finish it, summarize it;
- :mod:`~alloyloop.agent.rounds.data`      the round's training data, through the
  labeler's training view;
- :mod:`~alloyloop.agent.rounds.fit`       fit the DVAE (warm start; the checkpoint in the
  round folder is the cache a rerun loads) and register it as a model version;
- :mod:`~alloyloop.agent.rounds.suggest`   the strategy mix's batch, stored all or nothing;
- :mod:`~alloyloop.agent.rounds.report`    the round's report, linked once;
- :mod:`~alloyloop.agent.rounds.labelling` the one path that hands open suggestions to a
  labeler and stores its results;
- :mod:`~alloyloop.agent.rounds.runner`    the steps in order, in plain Python: what the
  Prefect flows (:mod:`alloyloop.agent.flows`) run as tasks and benchmarks run without
  Prefect.

Every step first looks for its own durable result, keyed by (campaign, round, data hash),
so a rerun after a crash continues where the crash happened (see
:mod:`alloyloop.agent.flows`). Each step opens short sessions of its own: none is held
across a fit, and a retried step starts from a fresh one.
"""
