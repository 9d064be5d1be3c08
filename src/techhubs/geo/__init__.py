"""Gazetteer (GeoNames), free-text geocoding and sphere maths."""
