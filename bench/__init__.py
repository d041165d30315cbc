"""The benchmark: synthetic clinical scenes with ground truth (`generate`), scoring against it (`score`), and the
runner that redacts every scene with the real scanner and prints the table (`python -m bench.run`)."""
