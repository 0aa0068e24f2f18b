"""Monte Carlo runs: batches of paths, seeds, merging (backends come next)."""
