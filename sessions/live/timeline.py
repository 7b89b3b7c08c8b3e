"""Where a pushed update's time goes, stage by stage: for the fan-out bench's breakdown
(bench/fanout.py --timeline), off otherwise.

At 5,000 screens the bench's p95 is several times the bare broadcast's, and one figure from
outside cannot say which stage holds it: the coalescing window, the render, Redis, a worker's
delivery to its sockets, or the clients reading. Each push writes one line when it is sent and
each worker one line per group when it has handed the update to its screens, with
CLOCK_MONOTONIC times (``time.monotonic()``, the clock the bench's clients stamp with), so the
bench can line them up with its votes and its clients. A line holds a stage, the update's
sequence number, a group name and times: nothing about a person.

Off unless the ``sessions.live.timeline`` logger is enabled at DEBUG; ``LIVE_TIMELINE_LOG``
names the file it writes to (commonground.settings). Off, a push or a delivery costs one
``isEnabledFor`` check."""

import logging

logger = logging.getLogger(__name__)


def enabled() -> bool:
    return logger.isEnabledFor(logging.DEBUG)


def pushed(seq: int, started: float, rendered: float, sent: float) -> None:
    """A push of update ``seq``: taken from the coalescer at ``started``, rendered, sent to
    every group at ``sent``."""
    logger.debug("pushed %d %.6f %.6f %.6f", seq, started, rendered, sent)


def delivered(seq: int, group: str, screens: int, received: float, done: float) -> None:
    """Update ``seq`` received by this worker for ``group`` at ``received`` and handed to its
    ``screens`` by ``done``."""
    logger.debug("delivered %d %s %d %.6f %.6f", seq, group, screens, received, done)


def parse(lines) -> tuple[dict[int, tuple[float, float, float]], dict[int, list[tuple]]]:
    """The pushes by sequence number, and the deliveries (group, screens, received, done) by
    sequence number, from the lines written above (with anything before the stage ignored)."""
    pushes: dict[int, tuple[float, float, float]] = {}
    deliveries: dict[int, list[tuple]] = {}
    for line in lines:
        words = line.split()
        for at, word in enumerate(words):
            if word == "pushed" and len(words) >= at + 5:
                seq = int(words[at + 1])
                pushes[seq] = tuple(float(x) for x in words[at + 2 : at + 5])
                break
            if word == "delivered" and len(words) >= at + 6:
                seq = int(words[at + 1])
                group, screens = words[at + 2], int(words[at + 3])
                received, done = float(words[at + 4]), float(words[at + 5])
                deliveries.setdefault(seq, []).append((group, screens, received, done))
                break
    return pushes, deliveries
