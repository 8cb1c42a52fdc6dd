"""Models of the evidence app (filled in by later issues)."""
