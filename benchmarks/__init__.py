"""verity's benchmarks: seeded data (`generate`) and the runner (`run`), `python -m benchmarks`."""
