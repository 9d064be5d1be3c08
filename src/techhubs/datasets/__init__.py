"""Reference editions (published figures) and bundled published rankings."""

from techhubs.datasets.editions import Edition, edition_info, list_editions, load_edition

__all__ = ["Edition", "edition_info", "list_editions", "load_edition"]
