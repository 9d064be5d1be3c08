"""Compare published rankings."""
