"""Discovery study: do the strategies find single-phase alloys among compositions they
*generate*, judged by CALPHAD oracles the model never saw, beside peer optimisers on the
same budget? (issue #32)

Usage (from the repository root)::

    OMP_NUM_THREADS=1 python -m benchmarks.discovery                    # study -> docs/
    OMP_NUM_THREADS=1 python -m benchmarks.discovery --quick            # smoke run -> runs/
    OMP_NUM_THREADS=1 python -m benchmarks.discovery --seeds 1 2 --resume
    OMP_NUM_THREADS=1 python -m benchmarks.discovery --oracles alcocrni --strategies greedy random
    OMP_NUM_THREADS=1 python -m benchmarks.discovery --out-dir docs --merge runs/a runs/b  # join parts

Modules: :mod:`~benchmarks.discovery.oracles` (the labs and design spaces),
:mod:`~benchmarks.discovery.start` (the shared start labels),
:mod:`~benchmarks.discovery.runs` (a strategy as a campaign, a peer through
:mod:`benchmarks.peer_protocol`), :mod:`~benchmarks.discovery.metrics`,
:mod:`~benchmarks.discovery.report`, :mod:`~benchmarks.discovery.merge` (parts run
apart, joined), :mod:`~benchmarks.discovery.study` (the command).
"""
