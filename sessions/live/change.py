"""What a live update redraws: regions of the screens and the needs whose cards change.

Changes that arrive within one coalescing window are merged into one, so a burst of votes is
one render and one message per audience."""

from dataclasses import dataclass, field

# The facts an event names as changed (sessions.live.kinds); each region of the screens declares
# those it depends on (sessions.live.regions, which also derives "needs" and "dots" from the
# needs a change names). "screen" redraws the board's whole screen; "reveal", the results at
# wrap-up; "door", whether new participants can join.
ALL_REGIONS = frozenset(
    {
        "phase",
        "spotlight",
        "counts",
        "grid",
        "split",
        "gaps",
        "all_needs",
        "screen",
        "reveal",
        "door",
    }
)


@dataclass
class Change:
    regions: set[str] = field(default_factory=set)
    needs_changed: set[int] = field(default_factory=set)
    needs_removed: set[int] = field(default_factory=set)
    # Needs whose dot totals (their own or their mappings') are all that changed: screens get
    # the new numbers, not the whole card again (a vote is the most frequent change by far).
    tallies: set[int] = field(default_factory=set)
    phase_changed: bool = False
    # Public ids of participants a facilitator removed: their own phones stop offering actions.
    removed_people: set[str] = field(default_factory=set)

    @classmethod
    def of(
        cls,
        *,
        regions=(),
        needs_changed=(),
        needs_removed=(),
        tallies=(),
        phase_changed: bool = False,
        removed_people=(),
    ) -> "Change":
        """A change, consistent: a removed need is not also changed, a changed one needs no
        separate tally, and a phase change redraws the phase banner."""
        removed = set(needs_removed)
        changed = set(needs_changed) - removed
        return cls(
            regions=set(regions) | ({"phase"} if phase_changed else set()),
            needs_changed=changed,
            needs_removed=removed,
            tallies=set(tallies) - changed - removed,
            phase_changed=phase_changed,
            removed_people=set(removed_people),
        )

    @classmethod
    def everything(cls) -> "Change":
        return cls(regions=set(ALL_REGIONS))

    def merge(self, other: "Change") -> None:
        self.regions |= other.regions
        self.needs_removed |= other.needs_removed
        self.needs_changed = (self.needs_changed | other.needs_changed) - self.needs_removed
        self.tallies = (self.tallies | other.tallies) - self.needs_changed - self.needs_removed
        self.phase_changed |= other.phase_changed
        self.removed_people |= other.removed_people
