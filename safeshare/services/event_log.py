"""What happened in every process instance, as an event log that process-mining tools read (OCEL 2.0 and XES).

Why it is built from the workflow records and not the audit trail: the records say which task of which model was
completed, by which role, when, in which instance; the audit trail says it in sentences meant for people.

What it leaves out, so the log can go to an analyst: people are pseudonyms ("staff 3"), numbered in the order they
first act in this log; cases and scheme applications are pseudonyms too (never their reference); no answer given
in a form is included (restricted content, names, dates of birth all live there), only which task was done, by
which role, when. The pseudonyms hold within one file only: two exports cannot be joined on them.

Only an administrator or the data protection officer may export it, and every export is audited.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeshare.core.access import require_role
from safeshare.core.audit import record_event, refusals_audited
from safeshare.core.errors import SafeshareError
from safeshare.core.records import CompletedTask, ProcessInstance, Role, SchemeApplication, User, WaitingTimer

if TYPE_CHECKING:
    from safeshare.core.runtime import App

FORMATS = ("ocel", "xes")
#: Each process's name in words, for the event log, the conformance report, the tasks filter and cancellations:
#: every process in bpmn/ has one (tests/test_event_log.py fails on a process without it).
PROCESS_NAMES = {
    "consent_seeking": "Consent seeking",
    "share_without_consent": "Share without consent",
    "manager_consultation": "Manager consultation",
    "disclosure_record": "Disclosure record",
    "information_received": "Information received",
    "csor_application": "Child sex offender disclosure",
    "dvds_right_to_ask": "Domestic violence disclosure: right to ask",
    "dvds_right_to_know": "Domestic violence disclosure: right to know",
    "referral": "Referral to children's social care",
    "agency_request": "Request between agencies",
    "subject_access_request": "Subject access request",
    "scheme_case_link": "Link a police application to a child's case",
    "scheme_outcome_review": "Review of a police disclosure outcome",
    "scheme_undertaking_breach": "Suspected breach of an undertaking",
}


@dataclass(frozen=True)
class LoggedObject:
    id: str
    type: str  # case, application, process instance, task, role
    attributes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class LoggedEvent:
    id: str
    activity: str  # in words, as people see it ("Give advice on sharing", "Reminder time")
    time: datetime
    instance: str  # the process instance's object id: a trace in XES
    process_id: str
    role: str  # practitioner, manager... or "scheduler" for a timer
    resource: str | None  # the pseudonym of the person who did it
    task_spec: str | None = None  # the model's id of a completed user task: what conformance replays
    objects: tuple[tuple[str, str], ...] = ()  # (object id, qualifier)


@dataclass
class EventLog:
    events: list[LoggedEvent] = field(default_factory=list)
    objects: dict[str, LoggedObject] = field(default_factory=dict)

    def traces(self, process_id: str) -> dict[str, list[LoggedEvent]]:
        """The completed user tasks of each instance of ``process_id``, in the order they happened."""
        by_instance: dict[str, list[LoggedEvent]] = defaultdict(list)
        for event in self.events:
            if event.process_id == process_id and event.task_spec is not None:
                by_instance[event.instance].append(event)
        return dict(by_instance)


class _Pseudonyms:
    """"staff 1", "staff 2"... in the order each is first met: stable within one log, meaningless outside it."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.given: dict[int, str] = {}

    def __call__(self, key: int) -> str:
        if key not in self.given:
            self.given[key] = f"{self.kind} {len(self.given) + 1}"
        return self.given[key]


def collect(session: Session, *, completed_only: bool = False) -> EventLog:
    """Every instance's start, completed user tasks, fired timers and end, pseudonymised (see the module)."""
    instances = list(session.scalars(select(ProcessInstance).order_by(ProcessInstance.started_at, ProcessInstance.id)))
    if completed_only:
        instances = [i for i in instances if i.status == "completed"]
    process_of = {i.id: i.process_id for i in instances}
    applications = {a.instance_id: a for a in session.scalars(select(SchemeApplication)) if a.instance_id}
    staff, cases, apps = _Pseudonyms("staff"), _Pseudonyms("case"), _Pseudonyms("application")
    log = EventLog()
    instance_ids: dict[int, str] = {}

    def add_object(obj: LoggedObject) -> str:
        log.objects.setdefault(obj.id, obj)
        return obj.id

    context: dict[int, tuple[tuple[str, str], ...]] = {}
    for instance in instances:
        oid = add_object(LoggedObject(f"instance {len(instance_ids) + 1}", "process instance",
                                      (("process", PROCESS_NAMES.get(instance.process_id, instance.process_id)),)))
        instance_ids[instance.id] = oid
        related = [(oid, "instance")]
        if instance.case_id is not None:
            related.append((add_object(LoggedObject(cases(instance.case_id), "case")), "case"))
        application = applications.get(instance.id)
        if application is not None:
            related.append((add_object(LoggedObject(apps(application.id), "application",
                                                    (("scheme", application.scheme), ("route", application.route)))),
                            "application"))
        context[instance.id] = tuple(related)
        name = PROCESS_NAMES.get(instance.process_id, instance.process_id)
        log.events.append(LoggedEvent(f"start {oid}", f"{name} started", instance.started_at, oid,
                                      instance.process_id, _role(session, instance.started_by_id),
                                      staff(instance.started_by_id) if instance.started_by_id else None,
                                      objects=context[instance.id]))
        if instance.completed_at is not None:
            log.events.append(LoggedEvent(f"end {oid}", f"{name} ended", instance.completed_at, oid,
                                          instance.process_id, "system", None, objects=context[instance.id]))
    tasks = session.scalars(select(CompletedTask).order_by(CompletedTask.completed_at, CompletedTask.id))
    for number, task in enumerate((t for t in tasks if t.instance_id in process_of), 1):
        oid = instance_ids[task.instance_id]
        task_object = add_object(LoggedObject(f"task {number}", "task", (("title", task.title),)))
        role = add_object(LoggedObject(f"role {task.role}", "role", (("role", task.role),)))
        log.events.append(LoggedEvent(
            f"task {number}", task.title, task.completed_at, oid, process_of[task.instance_id], task.role,
            staff(task.completed_by_id), task.task_spec,
            (*context[task.instance_id], (task_object, "task"), (role, "done by")),
        ))  # fmt: skip
    timers = session.scalars(select(WaitingTimer).where(WaitingTimer.fired_at.is_not(None))
                             .order_by(WaitingTimer.fired_at, WaitingTimer.id))
    for number, timer in enumerate((t for t in timers if t.instance_id in process_of), 1):
        assert timer.fired_at is not None
        oid = instance_ids[timer.instance_id]
        log.events.append(LoggedEvent(f"timer {number}", timer.event_name, timer.fired_at, oid,
                                      process_of[timer.instance_id], "scheduler", None,
                                      objects=context[timer.instance_id]))
    log.events.sort(key=lambda e: (e.time, e.id))
    return log


def _role(session: Session, user_id: int | None) -> str:
    """The role someone started a process in: the first of their roles (a process starts from a task list)."""
    user = session.get(User, user_id) if user_id else None
    return sorted(r.value for r in user.roles)[0] if user and user.roles else "system"


def _iso(moment: datetime) -> str:
    return moment.isoformat() if moment.tzinfo else moment.isoformat() + "+00:00"


def to_ocel(log: EventLog) -> bytes:
    """OCEL 2.0 JSON (https://www.ocel-standard.org/): object and event types, objects, events, relationships."""
    object_types = sorted({o.type for o in log.objects.values()})
    attributes: dict[str, set[str]] = defaultdict(set)
    for obj in log.objects.values():
        attributes[obj.type] |= {name for name, _ in obj.attributes}
    document = {
        "objectTypes": [{"name": t, "attributes": [{"name": a, "type": "string"} for a in sorted(attributes[t])]}
                        for t in object_types],
        "eventTypes": [{"name": a, "attributes": [{"name": "role", "type": "string"},
                                                  {"name": "resource", "type": "string"}]}
                       for a in sorted({e.activity for e in log.events})],
        "objects": [{"id": o.id, "type": o.type,
                     "attributes": [{"name": n, "time": "1970-01-01T00:00:00+00:00", "value": v}
                                    for n, v in o.attributes]}
                    for o in log.objects.values()],
        "events": [{"id": e.id, "type": e.activity, "time": _iso(e.time),
                    "attributes": [{"name": "role", "value": e.role},
                                   {"name": "resource", "value": e.resource or ""}],
                    "relationships": [{"objectId": o, "qualifier": q} for o, q in e.objects]}
                   for e in log.events],
    }  # fmt: skip
    return json.dumps(document, indent=1, ensure_ascii=False).encode("utf-8")


def to_xes(log: EventLog) -> bytes:
    """XES (IEEE 1849): a trace per process instance, its user tasks and timers in order, with their role."""
    root = ElementTree.Element("log", {"xes.version": "1849-2016", "xmlns": "http://www.xes-standard.org/"})
    for name, prefix, uri in (("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
                              ("Time", "time", "http://www.xes-standard.org/time.xesext"),
                              ("Organizational", "org", "http://www.xes-standard.org/org.xesext"),
                              ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext")):
        ElementTree.SubElement(root, "extension", {"name": name, "prefix": prefix, "uri": uri})
    by_instance: dict[str, list[LoggedEvent]] = defaultdict(list)
    for event in log.events:
        if event.task_spec is not None:
            by_instance[event.instance].append(event)
    for instance, events in by_instance.items():
        trace = ElementTree.SubElement(root, "trace")
        ElementTree.SubElement(trace, "string", {"key": "concept:name", "value": instance})
        ElementTree.SubElement(trace, "string", {"key": "process", "value": events[0].process_id})
        for event in events:
            node = ElementTree.SubElement(trace, "event")
            for key, value in (("concept:name", event.task_spec or event.activity), ("title", event.activity),
                               ("org:role", event.role), ("org:resource", event.resource or ""),
                               ("lifecycle:transition", "complete")):
                ElementTree.SubElement(node, "string", {"key": key, "value": value})
            ElementTree.SubElement(node, "date", {"key": "time:timestamp", "value": _iso(event.time)})
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def export_event_log(app: App, actor: User, fmt: str) -> tuple[bytes, int]:
    """The whole log in ``fmt`` and its number of events, for an administrator or the data protection officer;
    the export is audited, and so is a refusal. Manages its own transactions (call it outside one)."""
    if fmt not in FORMATS:
        raise SafeshareError(f"Unknown event log format {fmt!r}", "Choose ocel (OCEL 2.0 JSON) or xes")
    with refusals_audited(app.db, app.clock, actor, "export the event log"):
        require_role(actor, Role.ADMINISTRATOR, Role.DATA_PROTECTION_OFFICER)
    with app.db.read() as session:
        log = collect(session)
    content = to_ocel(log) if fmt == "ocel" else to_xes(log)
    with app.transaction() as session:
        record_event(session, app.clock, session.get(User, actor.id), "export_made",
                     f"{actor.display_name} exported the event log ({len(log.events)} events, {fmt.upper()}, "
                     "people pseudonymised)",
                     detail={"kind": "event_log", "format": fmt, "events": len(log.events)})
    return content, len(log.events)
