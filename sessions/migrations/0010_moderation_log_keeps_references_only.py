"""The moderation log keeps references only: an entry's "kind-id" target becomes a foreign key
(SET_NULL) and the texts, pseudonyms and ids it copied into ``details`` go. A correction's
previous text moves into a NeedCorrection of the need (so it goes with the need), and what a
removal hid is recorded on the rows it hid (``status_before_removal``)."""

from django.db import migrations

# A target's kind (as the log wrote it) and the entry's field that now points at it.
KINDS = {
    "need": "need",
    "mapping": "mapping",
    "gapnote": "gap_note",
    "participant": "participant",
    "strategy": "strategy",
}
PERSONAL_DETAILS = ("merged", "merged_text", "other", "other_text", "pseudonym", "hidden")


def to_references(apps, schema_editor):
    ModerationAction = apps.get_model("live_sessions", "ModerationAction")
    Need = apps.get_model("live_sessions", "Need")
    Mapping = apps.get_model("live_sessions", "Mapping")
    GapNote = apps.get_model("live_sessions", "GapNote")
    Participant = apps.get_model("live_sessions", "Participant")
    MergeSuggestion = apps.get_model("live_sessions", "MergeSuggestion")
    NeedCorrection = apps.get_model("live_sessions", "NeedCorrection")
    Strategy = apps.get_model("taxonomy", "Strategy")
    models = {
        "need": Need,
        "mapping": Mapping,
        "gap_note": GapNote,
        "participant": Participant,
        "strategy": Strategy,
    }
    authored = {"need": Need, "mapping": Mapping, "gap_note": GapNote}
    for entry in ModerationAction.objects.order_by("pk").iterator():
        kind, _sep, pk = entry.target.rpartition("-")
        details = dict(entry.details or {})
        if kind in KINDS and pk.isdecimal():
            field = KINDS[kind]
            entry.target = kind
            if models[field].objects.filter(pk=int(pk)).exists():
                setattr(entry, f"{field}_id", int(pk))
        if entry.action == "edit" and entry.need_id and isinstance(details.get("before"), dict):
            before, after = details["before"], details.get("after") or {}
            entry.correction = NeedCorrection.objects.create(
                need_id=entry.need_id,
                text_before=before.get("text", ""),
                context_before=before.get("context", ""),
                edited_before=False,
                text_after=after.get("text", ""),
                context_after=after.get("context", ""),
            )
            details.pop("before", None)
            details.pop("after", None)
        if entry.action == "dismiss-merge" and entry.need_id:
            other = details.get("other")
            if other and Need.objects.filter(pk=other).exists():
                entry.other_need_id = other
                entry.suggestion = MergeSuggestion.objects.filter(
                    need_id=entry.need_id, other_id=other
                ).first()
        if entry.action == "remove" and entry.participant_id:
            person = Participant.objects.get(pk=entry.participant_id)
            if person.removed_at:
                for name, model in authored.items():
                    for row_pk, status in (details.get("hidden") or {}).get(name, {}).items():
                        model.objects.filter(
                            pk=int(row_pk), author_id=person.pk, status="hidden"
                        ).update(status_before_removal=status)
        for key in PERSONAL_DETAILS:
            details.pop(key, None)
        entry.details = details
        entry.save()


class Migration(migrations.Migration):
    dependencies = [
        ("live_sessions", "0009_undoable_merges_hidden_votes_log_references"),
        ("taxonomy", "0001_initial"),
    ]

    operations = [migrations.RunPython(to_references, migrations.RunPython.noop)]
