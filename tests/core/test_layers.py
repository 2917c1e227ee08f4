"""Core's models name no model of a package above it: who acted is a plain id (see core/audit.py)."""

import sqlalchemy as sa

from core.attachments import Attachment
from core.audit import AuditEvent


def test_core_models_have_no_relationship_to_a_model_outside_core(appctx):
    for model in (AuditEvent, Attachment):
        targets = [relation.mapper.class_ for relation in sa.inspect(model).relationships]
        assert all(target.__module__.startswith("core.") for target in targets), (model, targets)


def test_the_user_ids_of_core_stay_foreign_keys_of_the_schema(appctx):
    for column in (AuditEvent.__table__.c.actor_id, Attachment.__table__.c.uploaded_by_id):
        [key] = column.foreign_keys
        assert key.target_fullname == "users.id" and key.ondelete == "SET NULL"
