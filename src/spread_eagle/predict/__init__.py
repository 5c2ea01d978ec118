"""Models, their registry, and the predict step."""
