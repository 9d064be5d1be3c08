"""Records -> rounded weighted locations per source and year, in DuckDB or on Dask.

Both engines implement the same contract (see :func:`aggregate`) and give
the same result: identical keys and counts, weights equal up to the last
unit in the last place (floating-point sums in a different order).
"""

from techhubs.aggregate._common import AGGREGATE_SCHEMA, ENGINES, round_expr_sql
from techhubs.aggregate._dispatch import aggregate

__all__ = ["AGGREGATE_SCHEMA", "ENGINES", "aggregate", "round_expr_sql"]
