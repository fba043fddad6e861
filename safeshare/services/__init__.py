"""Domain services: the operations people perform, each inside the caller's transaction."""
