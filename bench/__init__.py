"""The benchmark: ``python -m bench.run`` (or ``make bench``). See the README section "Benchmark"."""
