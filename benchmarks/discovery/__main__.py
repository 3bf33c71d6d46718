"""``python -m benchmarks.discovery``: see :mod:`benchmarks.discovery`."""

from benchmarks.discovery.study import main

if __name__ == "__main__":  # the pycalphad workers are spawned: they import this module
    main()
