"""The accessibility statement, declared once: for each WCAG 2.2 level A and AA success
criterion, its status in the participant's phone views, on the projector board and in the
facilitator's views, what that rests on, and the tests or checks that support it. The
/accessibility/ page renders it and docs/accessibility.md is written from it
(``python scripts/accessibility_statement.py``; a test fails when the file is out of date, and
another when a test it names does not exist)."""

from dataclasses import dataclass
from datetime import date

from django.utils import translation
from django.utils.translation import gettext_lazy as _

VIEWS = ("participant", "board", "facilitator")
STATUSES = {
    "S": _("Supports"),
    "P": _("Partially supports"),
    "D": _("Does not support"),
    "NA": _("Not applicable"),
    "NE": _("Not evaluated"),
}
REVIEWED = date(2026, 12, 6)

# Tests named in the evidence (path::function), checked to exist by tests/test_accessibility_statement.py.
AXE_ALL = (
    "tests/e2e/test_every_page_accessible.py::test_every_page_in_both_languages_and_colour_modes"
)
AXE_DARK = "tests/e2e/test_accessibility.py::test_dark_mode_pages_are_accessible"
AXE_PROJECTOR = (
    "tests/e2e/test_accessibility.py::test_board_projector_mode_is_high_contrast_and_accessible"
)
AXE_BOARD = "tests/e2e/test_board_screens.py::test_every_screen_fits_both_projectors_its_qr_code_decodes_and_axe_is_clean"
KEYBOARD = "tests/e2e/test_accessibility.py::test_participant_flow_with_the_keyboard_alone"
MENU_KEYS = (
    "tests/e2e/test_phone_first_screen.py::test_the_header_folds_into_a_menu_that_a_keyboard_opens"
)
TEXT_200 = "tests/e2e/test_accessibility.py::test_text_size_control_is_remembered_and_200_percent_text_does_not_overflow"
JOIN_320 = "tests/e2e/test_join_challenge.py::test_the_join_page_at_320_px_with_200_percent_text"
PHONE_BOARD = (
    "tests/e2e/test_phone_first_screen.py::test_see_the_shared_board_opens_a_board_for_a_phone"
)
BOARD_FITS = AXE_BOARD
TARGETS = (
    "tests/e2e/test_accessibility.py::test_touch_targets_on_the_participant_page_are_at_least_44_px"
)
LIVE_REGION = (
    "tests/e2e/test_accessibility.py::test_live_changes_are_summarised_politely_for_screen_readers"
)
REFUSALS = "tests/e2e/test_phone_answers.py::test_every_refusal_of_a_post_is_said_next_to_the_form_and_nothing_typed_is_lost"
VOTE_REFUSALS = "tests/e2e/test_phone_answers.py::test_a_vote_past_the_budget_or_the_cap_is_said_next_to_its_control"
OUTBOX = "tests/e2e/test_phone_outbox.py::test_a_need_posted_offline_is_kept_through_a_reload_and_posted_once"
TIME_UP = "tests/e2e/test_board_screens.py::test_at_zero_input_closes_and_the_phone_and_the_board_say_time_is_up"
JOIN_CHECK = "tests/e2e/test_join_challenge.py::test_a_phone_joins_through_the_check_with_axe_clean"
UNDO = "tests/e2e/test_moderation_undo.py::test_a_merge_says_what_happened_to_the_dots_and_is_undone_from_its_toast"
DASHBOARD_TOASTS = "tests/e2e/test_phone_answers.py::test_the_dashboard_answers_a_merge_a_failed_merge_and_a_removal_with_a_toast"
FIRST_SCREEN = "tests/e2e/test_phone_first_screen.py::test_each_phases_action_is_on_the_first_screen_of_a_phone"
ERRORS_IN_VIEW = "tests/e2e/test_phone_forms.py::test_gap_errors_show_above_the_sticky_button_in_the_apps_words_at_200_percent"
FRENCH_TEXTS = "tests/e2e/test_session_texts_in_french.py::test_the_facilitator_gives_french_texts_and_each_reader_sees_their_own"
REPORT = "tests/e2e/test_report.py::test_facilitator_opens_the_report_from_the_exports_page"
SPACING_PHONE = (
    "tests/e2e/test_text_spacing.py::test_a_phone_page_keeps_all_its_text_with_wider_spacing"
)
SPACING_DASHBOARD = (
    "tests/e2e/test_text_spacing.py::test_the_dashboard_keeps_all_its_text_with_wider_spacing"
)
READING = "reading the templates and stylesheets"


@dataclass(frozen=True)
class Criterion:
    number: str
    name: str
    level: str
    participant: str
    board: str
    facilitator: str
    remarks: str
    evidence: tuple[str, ...] = ()

    def status(self, view: str) -> str:
        return str(STATUSES[getattr(self, view)])

    def statuses(self) -> list[tuple[str, str]]:
        """(code, label) in the order of VIEWS."""
        return [(getattr(self, view), self.status(view)) for view in VIEWS]

    @property
    def falls_short(self) -> bool:
        return bool({self.participant, self.board, self.facilitator} & {"P", "D", "NE"})


def _c(number, name, level, statuses, remarks, *evidence) -> Criterion:
    participant, board, facilitator = statuses.split()
    return Criterion(number, name, level, participant, board, facilitator, remarks, evidence)


# fmt: off
CRITERIA = (
    _c("1.1.1", "Non-text Content", "A", "S S S", "The QR code has a title and the join link and code beside it in text; the report's SVG charts each have a caption and a table of their numbers; decorative bars are aria-hidden with their value in text.", AXE_ALL, AXE_BOARD),
    _c("1.2.1", "Audio-only and Video-only (Prerecorded)", "A", "NA NA NA", "The app has no audio or video."),
    _c("1.2.2", "Captions (Prerecorded)", "A", "NA NA NA", "No prerecorded media."),
    _c("1.2.3", "Audio Description or Media Alternative (Prerecorded)", "A", "NA NA NA", "No prerecorded media."),
    _c("1.2.4", "Captions (Live)", "AA", "NA NA NA", "The app carries no live audio; captioning the room's speech or the video call is the organisers' part, not the app's."),
    _c("1.2.5", "Audio Description (Prerecorded)", "AA", "NA NA NA", "No prerecorded media."),
    _c("1.3.1", "Info and Relationships", "A", "S S S", "Headings, lists, description lists, labelled form fields and fieldsets, tables with captions and header cells; checked by axe-core on every page.", AXE_ALL, AXE_BOARD),
    _c("1.3.2", "Meaningful Sequence", "A", "S S S", "The reading order of the markup is the visual order; the board's grid places regions in their source order. Checked by " + READING + "."),
    _c("1.3.3", "Sensory Characteristics", "A", "S S S", "Instructions name the control (its label or button text), never only its shape, colour or position. Checked by " + READING + "."),
    _c("1.3.4", "Orientation", "AA", "S S S", "No view locks the orientation; the board keeps a 16:9 layout inside whatever window it gets. Checked by " + READING + "."),
    _c("1.3.5", "Identify Input Purpose", "AA", "P NA S", "The facilitators' sign-in fields have autocomplete username and current-password. The participant's optional display name has no autocomplete token yet; the other participant fields (needs, gap notes) collect no personal data.", AXE_ALL),
    _c("1.4.1", "Use of Color", "A", "S S S", "Approaches carry a text label beside their colour; the heat map has a legend and a value in text; silent strategies are marked with a word and a symbol, not only in colour. Checked by " + READING + ".", AXE_BOARD),
    _c("1.4.2", "Audio Control", "A", "NA NA NA", "No sound."),
    _c("1.4.3", "Contrast (Minimum)", "AA", "S S S", "axe-core's colour-contrast rule on every page in English and French, light and dark mode, and the board in projector mode.", AXE_ALL, AXE_DARK, AXE_PROJECTOR),
    _c("1.4.4", "Resize Text", "AA", "S S P", "Phones: a text-size control (up to 200 %) that is remembered, and no sideways scrolling at 200 %. The board scales with its window and projector mode enlarges its type. The facilitator's pages rely on browser zoom and have not been tested at 200 %.", TEXT_200, JOIN_320, AXE_PROJECTOR),
    _c("1.4.5", "Images of Text", "AA", "S S S", "No images of text; the QR code is not text and the code is also shown as text."),
    _c("1.4.10", "Reflow", "AA", "S P P", "Participant pages are tested at 320 px wide with 200 % text. The projector board is a fixed 16:9 screen that never scrolls; at 320 px its content is available in the phone's board (/board/phone/), which reflows. The dashboard is made for a laptop and has not been tested at 320 px.", JOIN_320, TEXT_200, PHONE_BOARD),
    _c("1.4.11", "Non-text Contrast", "AA", "P P P", "Form borders and focus rings are Bootstrap's; demand bars carry their value in text beside them. No automated test measures the contrast of these graphics yet."),
    _c("1.4.12", "Text Spacing", "AA", "S NE S", "With the criterion's spacing (line height 1.5, paragraphs 2, letters 0.12, words 0.16) a phone's page at 390 and 320 px and the dashboard neither scroll sideways nor cut any text. Not tested on the board, whose lists fit the screen (items that no longer fit are hidden and counted) and whose long names end in an ellipsis.", SPACING_PHONE, SPACING_DASHBOARD),
    _c("1.4.13", "Content on Hover or Focus", "AA", "NA NA NA", "No content appears on hover or focus (no tooltips); the phone's menu opens only on a button press and closes with Escape.", MENU_KEYS),
    _c("2.1.1", "Keyboard", "A", "S S S", "Every control is a native link, button or form field. A test joins with the keyboard alone and opens the phone's menu with it; the dashboard also has keyboard shortcuts. Not every participant step is walked with the keyboard in a test.", KEYBOARD, MENU_KEYS),
    _c("2.1.2", "No Keyboard Trap", "A", "S S S", "No modal dialog or embedded widget captures focus. Checked by " + READING + "."),
    _c("2.1.4", "Character Key Shortcuts", "A", "NA NA D", "The dashboard's single-key shortcuts (N, P, S, T, +, L) are ignored while typing in a field, but they cannot be turned off or remapped."),
    _c("2.2.1", "Timing Adjustable", "A", "S S S", "A phase timer is part of a live workshop (the real-time exception); facilitators pause, extend or clear it, and 'close input at zero' can be turned off. What a participant typed is kept when time runs out.", TIME_UP),
    _c("2.2.2", "Pause, Stop, Hide", "A", "P P S", "Lists update live as the room posts (the purpose of the tool); with reduced motion the highlight animations are off. A participant cannot pause the live updates of their page, nor the board its own."),
    _c("2.3.1", "Three Flashes or Below Threshold", "A", "S S S", "Nothing flashes; a new or changed item is highlighted once."),
    _c("2.4.1", "Bypass Blocks", "A", "S S S", "A 'Skip to main content' link on every page.", AXE_ALL),
    _c("2.4.2", "Page Titled", "A", "S S S", "Each page's title names the page and the session.", AXE_ALL),
    _c("2.4.3", "Focus Order", "A", "S S S", "Focus follows the reading order; no positive tabindex.", KEYBOARD, AXE_ALL),
    _c("2.4.4", "Link Purpose (In Context)", "A", "S S S", "Links name their destination.", AXE_ALL ),
    _c("2.4.5", "Multiple Ways", "AA", "S NA S", "The header's navigation and the taxonomy's search reach every public page; a session's pages are steps of one process (the exception), reached from its join link or the facilitator's list."),
    _c("2.4.6", "Headings and Labels", "AA", "S S S", "Every field has a visible label (the browser tests find fields by it); headings name their section.", AXE_ALL, REFUSALS),
    _c("2.4.7", "Focus Visible", "AA", "S S S", "Bootstrap's focus ring on every control; only the main region (focused by the skip link) has no outline. No automated test measures the ring."),
    _c("2.4.11", "Focus Not Obscured (Minimum)", "AA", "P S S", "On a phone the submit button sticks to the bottom of the screen. A refused form's first error is scrolled above it (tested at 320 px with 200 % text), and a focused strategy is kept above the picker's button (scroll-padding); a field focused by the keyboard under the button is not otherwise measured.", FIRST_SCREEN, ERRORS_IN_VIEW),
    _c("2.5.1", "Pointer Gestures", "A", "S S S", "Single taps only; no path or multi-finger gesture."),
    _c("2.5.2", "Pointer Cancellation", "A", "S S S", "Native buttons and links act on release."),
    _c("2.5.3", "Label in Name", "A", "S S S", "Controls' accessible names are their visible text (the browser tests find them by it).", REFUSALS, AXE_ALL),
    _c("2.5.4", "Motion Actuation", "A", "NA NA NA", "Nothing responds to device motion."),
    _c("2.5.7", "Dragging Movements", "AA", "NA NA NA", "Nothing is dragged: mapping and voting are taps."),
    _c("2.5.8", "Target Size (Minimum)", "AA", "S S P", "Participant controls are at least 44 by 44 px (tested). The dashboard's small buttons (btn-sm) are at least 24 px tall but not measured by a test.", TARGETS),
    _c("3.1.1", "Language of Page", "A", "S S S", "The html element carries the interface language (English or French).", AXE_ALL),
    _c("3.1.2", "Language of Parts", "AA", "P P P", "The language switcher marks each language's name. What participants write may be in any language and is isolated for direction (bdi) but not marked with its language; a French screen shows a text given only in English (a taxonomy entry or a session text without its French version) without marking it as English."),
    _c("3.2.1", "On Focus", "A", "S S S", "Focus never submits or navigates."),
    _c("3.2.2", "On Input", "A", "S S S", "Forms submit only on their button; the strategy filter narrows a list in place without changing context."),
    _c("3.2.3", "Consistent Navigation", "AA", "S S S", "The same header and navigation on every page (the projector board shows none)."),
    _c("3.2.4", "Consistent Identification", "AA", "S S S", "The same controls carry the same names throughout, in each language."),
    _c("3.2.6", "Consistent Help", "A", "NA NA NA", "The app offers no help mechanism (contact, chat) to place consistently; facilitators help in the room."),
    _c("3.3.1", "Error Identification", "A", "S NA S", "Every refusal is said in words next to the form or control it concerns, and spoken politely to screen readers.", REFUSALS, VOTE_REFUSALS, DASHBOARD_TOASTS),
    _c("3.3.2", "Labels or Instructions", "A", "S NA S", "Each field has a label, and limits are said before typing (character counters, dots left).", AXE_ALL, REFUSALS),
    _c("3.3.3", "Error Suggestion", "AA", "S NA S", "Refusals say how to fix them in the app's own words (too long: the limit and the length typed; an empty need or gap note: what to write; time is up: ask the facilitators).", REFUSALS, VOTE_REFUSALS, ERRORS_IN_VIEW),
    _c("3.3.4", "Error Prevention (Legal, Financial, Data)", "AA", "S NA S", "Erasing oneself asks for confirmation; purging a session needs the typed word; merges, removals and hidings are undone from their message.", UNDO),
    _c("3.3.7", "Redundant Entry", "A", "S NA S", "Nothing typed is asked again: a refused form keeps what was typed, and writes made offline are kept and sent once.", REFUSALS, OUTBOX),
    _c("3.3.8", "Accessible Authentication (Minimum)", "AA", "S NA S", "Participants join with a code (or the QR link) and no password; the anti-flood check is solved by the browser, not the person. Facilitators sign in with a password field that password managers fill (autocomplete current-password) and that accepts paste.", JOIN_CHECK),
    _c("4.1.2", "Name, Role, Value", "A", "S S S", "Native controls; the menu and the dark-mode and projector toggles expose aria-expanded or aria-pressed.", AXE_ALL, MENU_KEYS),
    _c("4.1.3", "Status Messages", "AA", "S S S", "Live updates are summarised in a polite live region; answers to every tap, refusals included, are spoken politely; the connection state is a status.", LIVE_REGION, DASHBOARD_TOASTS),
)
# fmt: on


def counts() -> list[tuple[str, list[int]]]:
    """Each status with how many criteria have it in each view (in the order of VIEWS)."""
    return [
        (str(label), [sum(1 for c in CRITERIA if getattr(c, view) == code) for view in VIEWS])
        for code, label in STATUSES.items()
    ]


def named_tests() -> set[str]:
    return {test for criterion in CRITERIA for test in criterion.evidence}


def as_markdown() -> str:
    """docs/accessibility.md, in English."""
    with translation.override("en"):
        return _markdown()


def _markdown() -> str:
    lines = [
        "# Accessibility statement",
        "",
        "<!-- Written by `python scripts/accessibility_statement.py` from",
        "     commonground/accessibility.py: edit that file, not this one. -->",
        "",
        "Common Ground aims to conform to the Web Content Accessibility Guidelines (WCAG) 2.2",
        "at level AA. It **partially conforms**: the criteria below marked *Partially supports*,",
        "*Does not support* or *Not evaluated* are where it falls short or has not been checked.",
        f"Reviewed {REVIEWED:%d %B %Y}, on the code as it is in this repository.",
        "",
        "Three views are assessed: the **participant**'s pages on a phone (joining, posting,",
        "mapping, voting, gap notes, results), the projector **board**, and the **facilitator**'s",
        "pages (dashboard, settings, exports and report). The public taxonomy pages are covered by",
        "the same axe-core test as every other page.",
        "",
        "How it is checked: axe-core (WCAG 2.0, 2.1 and 2.2 A and AA rules) runs in the browser",
        "tests on every page, in English and French, light and dark mode, and on every board",
        "screen at 1920×1080 and 1280×720; other criteria have their own browser tests, named",
        "below (`tests/e2e/`); the rest were checked by reading the templates and stylesheets,",
        "which is said where it is so. No test with a screen reader user has been done yet.",
        "",
        "## Summary",
        "",
        "| Status | " + " | ".join(view.capitalize() for view in VIEWS) + " |",
        "|---|---|---|---|",
    ]
    for label, numbers in counts():
        lines.append(f"| {label} | " + " | ".join(str(n) for n in numbers) + " |")
    lines += [
        "",
        "## Each success criterion",
        "",
        "| Criterion | Level | Participant | Board | Facilitator | Remarks | Supported by |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in CRITERIA:
        evidence = "<br>".join(f"`{test}`" for test in c.evidence) or "—"
        lines.append(
            f"| {c.number} {c.name} | {c.level} | {c.status('participant')} | "
            f"{c.status('board')} | {c.status('facilitator')} | {c.remarks} | {evidence} |"
        )
    lines += [
        "",
        "## Known limitations",
        "",
    ]
    for c in CRITERIA:
        if c.falls_short:
            lines.append(f"- **{c.number} {c.name}**: {c.remarks}")
    lines += [
        "",
        "## Feedback",
        "",
        "Tell the organisers of your session, or open an issue in this repository, about any",
        "barrier you meet; say which page and what you were doing.",
        "",
    ]
    return "\n".join(lines)
