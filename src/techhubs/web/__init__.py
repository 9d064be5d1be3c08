"""The dashboard: static ES modules, styles and vendored npm builds (package data)."""
