"""Monte Carlo runs: batches of paths and their backends (serial, process pool, Dask),
studies made of several runs (stresses, frontier, tornado, comparison) and the main job."""
