"""Live updates: services tell ``events`` what happened; ``render`` decides what the screens
redraw; the coalescer, the per-worker fan-out and the consumers carry it to every screen."""
