"""View models shared by the REST API, the dashboard and the HTML report.

``sources`` loads what a view shows (a bundled edition or a ``techhubs build``
results folder) and caches fitted composites; ``published`` joins units to
published rankings and quoted facts; ``intervals`` adds rank intervals. The
shells (``api/``, ``report/``) import from here, never from each other.
"""
