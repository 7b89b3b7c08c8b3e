"""The refusals a service can answer with.

A SessionError is an expected refusal: ``str(exc)`` is a message for the person who acted, and
each kind carries the HTTP status that answers it (and, when waiting helps, how long to wait),
so the views turn any of them into an answer in one place (sessions.views.refusals)."""


class SessionError(Exception):
    """An expected refusal; ``str(exc)`` is shown to the person who acted."""

    status = 409
    retry_after: int | None = None


class InvalidInput(SessionError):
    """What was sent cannot be saved as it is (empty, too long, not of this session)."""

    status = 422


class PhaseClosed(SessionError):
    """The current phase (or the facilitators' lock) does not allow this now."""


class NotYours(SessionError):
    """Only the author may change or withdraw this."""


class BudgetExhausted(SessionError):
    """Every dot of the participant's budget is placed."""


class CapReached(SessionError):
    """The item already holds the most dots one person may put on it."""


class PrivacyBudgetSpent(SessionError):
    """The session's evidence has spent its privacy budget: no further release."""


class TooFast(SessionError):
    """A rate limit: the same action is allowed again after ``retry_after`` seconds."""

    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(int(retry_after), 1)


class Conflict(SessionError):
    """Someone else changed it first: another facilitator, another tab, or its author (a
    need merged or withdrawn a moment ago); the message says who did what."""


class DoorClosed(SessionError):
    """The facilitators closed the door: nobody new joins until they open it again."""

    status = 403


class ProofRefused(InvalidInput):
    """A join's proof of work is missing, wrong, expired or already used (``kind``); the join
    page shows it next to its button and its browser solves a new challenge."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class ParticipantRemoved(SessionError):
    """A facilitator removed the participant, or they erased themselves."""
