"""Evidence of progress: how much an assignment has, who may download it, and the file of one piece."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from accounts import services as accounts
from actions.models import Assignment, Evidence
from actions.queries import get_assignment
from core.attachments import Attachment
from core.errors import NotAllowed, NotFound
from core.extensions import db
from core.permissions import Actor, Permission, Role, can

P = Permission


def evidence_count(assignment_id: int) -> int:
    """How many pieces of evidence (files and links) an assignment has."""
    return db.session.scalar(sa.select(sa.func.count(Evidence.id)).where(Evidence.assignment_id == assignment_id))


def may_download(actor: Actor, assignment: Assignment) -> bool:
    """Evidence files: the secretariat sees all, an OPD user those of the OPDs they act for, a viewer none."""
    if not can(actor, P.DOWNLOAD_EVIDENCE):
        return False
    if Role(actor.role) in (Role.OPD_HEAD, Role.OPD_STAFF):
        return assignment.opd_id in accounts.opds_acted_for(actor)
    return True


def evidence_file(actor: Actor, evidence_id: int) -> Attachment:
    """The stored attachment of one piece of evidence, if this user may download it."""
    evidence = db.session.get(Evidence, evidence_id)
    if evidence is None or evidence.attachment is None:
        raise NotFound(_l("No such file."))
    assignment = get_assignment(actor, evidence.assignment_id)  # another government's task is NotFound
    if not may_download(actor, assignment):
        raise NotAllowed(_l("You may not download this file."))
    return evidence.attachment
