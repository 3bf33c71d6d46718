"""CPU seconds per ``propose`` call of each peer adapter: batch 6 after 30 labelled grid
alloys, on a 5-element space of at least 4 elements (Co-Cr-Fe-Nb-Ti, step 0.05). The first
call in a process includes importing the peer's package; the second is the steady-state cost
a study pays every round.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.peers.propose_time [baybe ax hea-bench]
"""

from __future__ import annotations

import importlib
import random
import sys
import time

from benchmarks.peer_protocol import Observation, StudySpace
from benchmarks.peers import grid

PEERS = {
    "baybe": "benchmarks.peers.baybe_peer:BayBEPeer",
    "ax": "benchmarks.peers.ax_peer:AxPeer",
    "hea-bench": "benchmarks.peers.heabench_peer:HeaBenchPeer",
}
SPACE = StudySpace(elements=("Co", "Cr", "Fe", "Nb", "Ti"),
                   bounds={el: (0.05, 0.35) for el in ("Co", "Cr", "Fe", "Nb", "Ti")},
                   min_elements=4, step=0.05)


def observations(count: int = 30, seed: int = 0) -> list[Observation]:
    """Random grid alloys, labelled single-phase when Nb + Ti is at most 20 %."""
    lattice = grid.enumerate_grid(SPACE)
    rows = random.Random(seed).sample(range(len(lattice)), count)
    return [Observation(grid.to_fractions(SPACE, lattice[i]), bool(lattice[i][3] + lattice[i][4] <= 4))
            for i in rows]


def main(names: list[str]) -> None:
    import torch

    torch.set_num_threads(1)
    observed = observations()
    print(f"grid {len(grid.enumerate_grid(SPACE))} compositions, {len(observed)} observed "
          f"({sum(o.hit for o in observed)} hits), batch 6")
    for name in names:
        module, cls = PEERS[name].split(":")
        for call, seed in (("first", 1), ("second", 2)):
            cpu, wall = time.process_time(), time.perf_counter()
            peer = getattr(importlib.import_module(module), cls)()
            batch = peer.propose(SPACE, observed, 6, seed=seed)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            extra = ""
            if getattr(peer, "last_rounding", None):
                moved = peer.last_rounding
                extra = f", rounding moved {min(moved):.3f}-{max(moved):.3f} of the atoms"
            print(f"{name:10s} {call:6s} call: {cpu:6.1f} s CPU, {wall:6.1f} s wall, "
                  f"{len(batch)} proposals{extra}")


if __name__ == "__main__":
    main(sys.argv[1:] or list(PEERS))
