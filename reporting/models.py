"""Models of the reporting app (filled in by later issues)."""
