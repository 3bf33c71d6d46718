"""From a diffraction pattern to a proposed phase label (issue #22).

One module per step: :mod:`.readers` (files → :class:`~.pattern.Pattern`), :mod:`.profile`
(background, Kα2 stripping), :mod:`.peaks` (peak finding), :mod:`.lattices` (reflections of
FCC, BCC, HCP, B2, L1₂), :mod:`.vegard` (starting lattice parameters from the
composition), :mod:`.indexing` (phases and least-squares lattice parameters),
:mod:`.prototypes` and :mod:`.named_phases` (σ, Laves C14/C15, μ; unindexed structures),
:mod:`.tube_lines` (Kβ and W Lα peaks),
:mod:`.analysis` (the proposal and its serialised form), :mod:`.plot` (the PNG) and
:mod:`.synthetic` (patterns simulated with pymatgen, for tests and the benchmark).
"""
