"""Which rows of a session an export holds, under the options an organiser chose.

Without ``include_hidden`` an export holds what the board shows (``stats.Visibility``:
visible contributions on targets that are themselves included), without participants a
facilitator removed and anything they wrote or voted; with it, every row. Display names only
with ``include_names``. docs/exports.md lists the rules."""

from dataclasses import dataclass
from functools import cached_property

from sessions.models import LiveSession
from sessions.queries import stats
from sessions.queries.visibility import CHUNK_SIZE


@dataclass(frozen=True)
class ExportOptions:
    """What an organiser asked to include beyond the pseudonymous, visible default."""

    include_names: bool = False
    include_hidden: bool = False


class ExportScope(stats.Visibility):
    """The rows of one session that an export contains, under its options, with the
    export-local participant ids and the counts every format shows."""

    streams = True  # its reads may be huge: in chunks, so memory stays flat

    def __init__(self, live_session: LiveSession, options: ExportOptions) -> None:
        super().__init__(live_session, include_hidden=options.include_hidden, exclude_removed=True)
        self.options = options

    @cached_property
    def participant_numbers(self) -> dict[int, str]:
        """Export-local ids (P1, P2, ...) by participant pk, in the order people joined. Only
        these ids leave the server; pks, public ids and token hashes never do."""
        return {
            pk: f"P{number}"
            for number, pk in enumerate(
                self.participants().values_list("pk", flat=True).iterator(chunk_size=CHUNK_SIZE),
                start=1,
            )
        }

    @cached_property
    def counts(self) -> dict[str, int]:
        """How many rows each table has, plus dots and the in-room/remote split (five
        queries)."""
        people = stats.participant_counts(self)
        return {
            "participants": people["total"],
            "in_room": people["in_room"],
            "remote": people["remote"],
            **stats.contribution_counts(self),
        }

    def strategies(self) -> list[stats.StrategyDemand]:
        """Every strategy of the session's taxonomy, in taxonomy order, with what the export
        holds on it; references prefetched (two queries)."""
        return stats.strategy_demand(self, with_references=True)
