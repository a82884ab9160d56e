"""napflow's workflow layer: definitions as data, the engine, guards and the operations."""
