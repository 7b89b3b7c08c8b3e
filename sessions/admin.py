from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from sessions import services
from sessions.enums import Phase
from sessions.models import GapNote, LiveSession, Mapping, Need, Participant, Vote


def _phase_action(phase: Phase):
    def action(modeladmin, request, queryset):
        for live_session in queryset:
            services.set_phase(live_session=live_session, phase=phase)

    action.__name__ = f"move_to_{phase.value}"
    action.short_description = _("Move to the %(phase)s phase") % {"phase": phase.label}
    return action


@admin.register(LiveSession)
class LiveSessionAdmin(admin.ModelAdmin):
    list_display = ["title", "code", "phase", "input_locked", "created"]
    list_filter = ["phase", "taxonomy"]
    search_fields = ["title", "code"]
    readonly_fields = ["code", "sequence", "created"]
    filter_horizontal = ["facilitators"]
    actions = [_phase_action(phase) for phase in Phase]


class ContributionAdmin(admin.ModelAdmin):
    list_filter = ["status", "live_session"]
    list_select_related = ["live_session", "author"]
    raw_id_fields = ["author"]


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["pseudonym", "display_name", "presence", "live_session", "joined_at"]
    list_filter = ["presence", "live_session"]
    search_fields = ["pseudonym", "display_name"]
    exclude = ["token_hash"]
    readonly_fields = ["public_id", "agreed_at", "last_seen_at"]


@admin.register(Need)
class NeedAdmin(ContributionAdmin):
    list_display = ["text", "context", "status", "author", "live_session", "created"]
    search_fields = ["text", "context"]


@admin.register(Mapping)
class MappingAdmin(ContributionAdmin):
    list_display = ["need", "strategy", "status", "author", "live_session"]
    list_select_related = ["need", "strategy", "author", "live_session"]
    raw_id_fields = ["author", "need"]
    search_fields = ["need__text", "reason"]


@admin.register(GapNote)
class GapNoteAdmin(ContributionAdmin):
    list_display = ["text", "kind", "strategy", "status", "author", "live_session"]
    list_filter = ["kind", "status", "live_session"]
    raw_id_fields = ["author", "mapping"]
    search_fields = ["text"]


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ["participant", "need", "mapping", "dots", "hidden", "live_session"]
    list_select_related = ["participant", "need", "mapping", "live_session"]
    raw_id_fields = ["participant", "need", "mapping"]
    list_filter = ["live_session", "hidden"]

    def get_queryset(self, request):
        # A removed participant's dots too (hidden, counted nowhere): the admin shows every row.
        return Vote.with_hidden.select_related(*self.list_select_related)
