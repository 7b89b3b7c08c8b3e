"""Small number helpers shared by the taxonomy (its evidence and overview) and the live
sessions' statistics: kept here so that neither app reads them from the other's queries."""


def percent(part: int, whole: int) -> int:
    """``part`` as a whole-number percentage of ``whole`` (0 when there is no whole)."""
    return round(100 * part / whole) if whole else 0
