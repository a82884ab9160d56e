"""Demo data: the small demo that `make run` serves, and the generated world of `demo --scale`."""
