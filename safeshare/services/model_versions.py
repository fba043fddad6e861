"""Model versions: check and deploy a changed set of BPMN, DMN and forms, list versions, move running work.

A version is a set of process definitions (each with its forms, as :mod:`workflows.model_registry`
hashes and stores them) deployed together. New instances start on the latest version; a running
instance stays on the one it started on until an administrator moves it, after a preview, one
instance per transaction, each move (or refusal) on the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safeshare.core.access import require_role
from safeshare.core.audit import record_event
from safeshare.core.errors import ModelError, NotFoundError, SafeshareError
from safeshare.core.records import Case, ModelVersion, ModelVersionProcess, ProcessInstance, Role, User
from safeshare.core.records.vocabulary import InstanceStatus
from safeshare.services.cancellation import process_name
from workflows.model_registry import LANE_ROLES, UISCHEMA_KEY, ModelRegistry, ProcessModel

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from safeshare.core.runtime import App

#: How the models installed with the system (before any version was deployed) are named on screen.
INSTALLED = "the models installed with the system"


class ModelSetRejected(SafeshareError):
    """A model set that does not validate: nothing was stored; ``problems`` has one line per problem."""

    status_code = 422

    def __init__(self, problems: list[str]) -> None:
        count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
        super().__init__(f"The model set was not deployed: it has {count}", "Fix each problem and deploy again")
        self.problems = problems


@dataclass(frozen=True)
class VersionSummary:
    number: int | None  # None: the models installed with the system
    name: str
    deployed_at: datetime | None
    deployed_by: str | None
    source: str | None
    running: int
    latest: bool


@dataclass(frozen=True)
class RunningInstance:
    id: int
    process: str
    case_reference: str | None
    version: str
    version_id: int | None
    started_at: datetime


@dataclass
class InstancePreview:
    instance: RunningInstance
    waiting: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def possible(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class MigrationOutcome:
    instance_id: int
    moved: bool
    problems: list[str]


def version_name(number: int | None) -> str:
    return f"version {number}" if number is not None else INSTALLED


def require_administrator(actor: User) -> None:
    require_role(actor, Role.ADMINISTRATOR)


# -- checking and deploying ------------------------------------------------------------------


def _form_problems(models: ModelRegistry) -> Iterable[str]:
    seen: set[str] = set()
    for process_id in models.process_ids:
        for filename, form in models.current(process_id).forms.items():
            if filename in seen:
                continue
            seen.add(filename)
            schema = {k: v for k, v in form.items() if k != UISCHEMA_KEY}
            try:
                Draft202012Validator.check_schema(schema)
            except SchemaError as exc:
                yield f"The form {filename} is not a valid form definition: {exc.message}"


def _lane_problems(models: ModelRegistry) -> Iterable[str]:
    for process_id in models.process_ids:
        model = models.current(process_id)
        for spec in (model.spec, *model.subprocess_specs.values()):
            for task_spec in spec.task_specs.values():
                if getattr(task_spec, "manual", False) and task_spec.lane not in LANE_ROLES:
                    where = Path(spec.file or spec.name).name
                    lane = f"the lane '{task_spec.lane}'" if task_spec.lane else "no lane"
                    yield (
                        f"The model file {where}, task '{task_spec.bpmn_name or task_spec.bpmn_id}', is in {lane}, "
                        f"which names no role: put it in one of the lanes {', '.join(LANE_ROLES)}"
                    )


def check_model_set(app: App, folder: Path) -> tuple[ModelRegistry, list[str]]:
    """Parse and check a model set; every problem is one line in plain words (none: it may be deployed)."""
    if not folder.is_dir():
        return ModelRegistry.checked(folder)[0], [f"There is no folder {folder}"]
    models, problems = ModelRegistry.checked(folder)
    problems.extend(_lane_problems(models))  # over every process that did parse
    problems.extend(_form_problems(models))
    problems.extend(app.engine.model_problems(models))
    for process_id in app.models.process_ids:
        named = (f"{process_id}.bpmn, task", f"process {process_id!r}")  # already said why it did not load
        if process_id not in models.process_ids and not any(n in p for p in problems for n in named):
            problems.append(
                f"The process '{process_id}' ({process_name(process_id)}) is missing: the system starts it, "
                f"so every model set must have it"
            )
    unique: list[str] = []
    for problem in problems:
        if problem not in unique:
            unique.append(problem)
    return models, unique


def latest_version(session: Session) -> int | None:
    return session.scalar(select(func.max(ModelVersion.id)))


def _in_use(app: App, session: Session) -> dict[str, str]:
    """The definition hash each process starts on now."""
    return {
        process_id: app.engine.active_model(session, process_id)[0].content_hash
        for process_id in app.models.process_ids
    }


def deploy(app: App, actor: User, folder: Path, source: str) -> VersionSummary:
    """Check the model set in ``folder`` and store it as a new version, in one transaction.

    Raises :class:`ModelSetRejected` (nothing stored) when it does not validate or changes nothing.
    """
    require_administrator(actor)
    models, problems = check_model_set(app, folder)
    if problems:
        raise ModelSetRejected(problems)
    with app.transaction() as session:
        in_use = _in_use(app, session)
        latest = latest_version(session)
        new_hashes = {pid: models.current(pid).content_hash for pid in models.process_ids}
        if all(new_hashes.get(pid) == digest for pid, digest in in_use.items()) and set(new_hashes) <= set(in_use):
            raise ModelSetRejected(
                [f"Nothing in this model set differs from {version_name(latest)}, which is in use: nothing to deploy"]
            )
        now = app.clock.now()
        version = ModelVersion(deployed_at=now, deployed_by_id=actor.id, source=source[:200])
        session.add(version)
        session.flush()
        changed = []
        for process_id in models.process_ids:
            model = models.current(process_id)
            app.engine.store_definition(session, app.clock, model)
            session.flush()
            session.add(
                ModelVersionProcess(version_id=version.id, process_id=process_id, content_hash=model.content_hash)
            )
            app.models.register(model)
            if in_use.get(process_id) != model.content_hash:
                changed.append(process_id)
        record_event(
            session,
            app.clock,
            actor,
            "model_version_deployed",
            f"Model version {version.id} deployed from {source[:120]}: "
            f"{', '.join(process_name(p) for p in changed)} changed",
            detail={
                "version": version.id,
                "changed": changed,
                "source": source,
                "definitions": {p: h[:12] for p, h in new_hashes.items()},
            },
        )
        return VersionSummary(version.id, version_name(version.id), now, actor.display_name, source, 0, True)


# -- listing ---------------------------------------------------------------------------------


def list_versions(session: Session) -> list[VersionSummary]:
    """Every version, newest first, with how many running instances are on it."""
    running = dict(
        session.execute(
            select(ProcessInstance.model_version_id, func.count())
            .where(ProcessInstance.status != InstanceStatus.COMPLETED)
            .group_by(ProcessInstance.model_version_id)
        ).all()
    )
    rows = session.execute(
        select(ModelVersion, User.display_name)
        .outerjoin(User, User.id == ModelVersion.deployed_by_id)
        .order_by(ModelVersion.id.desc())
    ).all()
    latest = rows[0][0].id if rows else None
    versions = [
        VersionSummary(v.id, version_name(v.id), v.deployed_at, who, v.source, running.get(v.id, 0), v.id == latest)
        for v, who in rows
    ]
    versions.append(
        VersionSummary(None, INSTALLED.capitalize(), None, None, None, running.get(None, 0), latest is None)
    )
    return versions


def running_instances(
    session: Session, *, not_on: int | None = None, ids: Iterable[int] | None = None
) -> list[RunningInstance]:
    """Running instances (optionally only those not on version ``not_on``, or only ``ids``), oldest first."""
    query = (
        select(ProcessInstance, Case.reference)
        .outerjoin(Case, Case.id == ProcessInstance.case_id)
        .where(ProcessInstance.status != InstanceStatus.COMPLETED)
        .order_by(ProcessInstance.id)
    )
    if not_on is not None:
        query = query.where((ProcessInstance.model_version_id.is_(None)) | (ProcessInstance.model_version_id != not_on))
    if ids is not None:
        query = query.where(ProcessInstance.id.in_(list(ids)))
    return [
        RunningInstance(
            row.id,
            process_name(row.process_id),
            reference,
            version_name(row.model_version_id),
            row.model_version_id,
            row.started_at,
        )
        for row, reference in session.execute(query).all()
    ]


# -- moving running work onto a version ---------------------------------------------------


def _target(app: App, session: Session, version: int | None) -> tuple[int, Callable[[str], ProcessModel | None]]:
    number = version if version is not None else latest_version(session)
    if number is None or session.get(ModelVersion, number) is None:
        raise NotFoundError(
            f"There is no model version {number}" if number is not None else "No model version has been deployed",
            "Deploy the changed models first, then choose running work to move to them",
        )
    hashes = dict(
        session.execute(
            select(ModelVersionProcess.process_id, ModelVersionProcess.content_hash).where(
                ModelVersionProcess.version_id == number
            )
        ).all()
    )

    def model_of(process_id: str) -> ProcessModel | None:
        digest = hashes.get(process_id)
        if digest is None:
            return None
        try:
            return app.models.by_hash(digest)
        except ModelError:
            definition = app.engine.definition_row(session, digest)
            return app.models.by_hash(digest, definition.spec_json if definition else None)

    return number, model_of


def _preview_one(
    app: App,
    session: Session,
    row: ProcessInstance,
    summary: RunningInstance,
    number: int,
    model_of: Callable[[str], ProcessModel | None],
) -> InstancePreview:
    preview = InstancePreview(summary)
    target = model_of(row.process_id)
    if row.model_version_id == number:
        preview.problems.append(f"It is already on version {number}")
    elif target is None:
        preview.problems.append(f"Version {number} has no process '{row.process_id}'")
    else:
        plan = app.engine.plan_migration(session, row, target, f"version {number}")
        preview.waiting, preview.added, preview.removed, preview.problems = (
            plan.waiting,
            plan.added,
            plan.removed,
            plan.problems,
        )
    return preview


def preview(app: App, actor: User, instance_ids: list[int], version: int | None = None) -> list[InstancePreview]:
    """What moving each chosen running instance onto ``version`` (default: the latest) changes."""
    require_administrator(actor)
    with app.db.read() as session:
        number, model_of = _target(app, session, version)
        found = {r.id: r for r in running_instances(session, ids=instance_ids)}
        result = []
        for instance_id in instance_ids:
            summary = found.get(instance_id)
            row = session.get(ProcessInstance, instance_id)
            if summary is None or row is None:
                result.append(
                    InstancePreview(
                        RunningInstance(instance_id, "Unknown", None, "", None, app.clock.now()),
                        problems=[f"There is no running instance {instance_id}"],
                    )
                )
                continue
            result.append(_preview_one(app, session, row, summary, number, model_of))
        return result


def migrate(app: App, actor: User, instance_ids: list[int], version: int | None = None) -> list[MigrationOutcome]:
    """Move each chosen instance onto ``version`` (default: the latest), one transaction per instance.

    An instance that cannot be moved is left as it was and named with why; the others go ahead.
    Each move and each refusal is on the audit trail (a refusal in its own transaction).
    """
    require_administrator(actor)
    with app.db.read() as session:
        number, _ = _target(app, session, version)
    outcomes = []
    for instance_id in instance_ids:
        try:
            with app.transaction() as session:
                _migrate_one(app, session, actor, instance_id, number)
            problems: list[str] = []
        except _Refused as refused:  # its transaction rolled back: the instance is as it was
            problems = refused.problems
            with app.transaction() as session:
                case_id = session.scalar(select(ProcessInstance.case_id).where(ProcessInstance.id == instance_id))
                record_event(
                    session,
                    app.clock,
                    actor,
                    "instance_migration_refused",
                    f"Instance {instance_id} not moved to version {number}: {'; '.join(problems)}",
                    case_id=case_id,
                    detail={"instance_id": instance_id, "to": number, "problems": problems},
                )
        outcomes.append(MigrationOutcome(instance_id, not problems, problems))
    return outcomes


class _Refused(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _migrate_one(app: App, session: Session, actor: User, instance_id: int, number: int) -> None:
    """Move one instance in the caller's transaction, audited; raise :class:`_Refused` to roll it back."""
    number, model_of = _target(app, session, number)
    row = session.get(ProcessInstance, instance_id)
    summary = next(iter(running_instances(session, ids=[instance_id])), None)
    if row is None or summary is None:
        raise _Refused([f"There is no running instance {instance_id}"])
    planned = _preview_one(app, session, row, summary, number, model_of)
    target = model_of(row.process_id)
    if planned.problems or target is None:
        raise _Refused(planned.problems)
    from_version = version_name(row.model_version_id)
    try:
        done = app.engine.migrate(session, app.clock, row, target, number)
    except ValueError as exc:  # a step the new definition could not take over
        raise _Refused([f"It could not be moved: {exc}"]) from exc
    if done.problems:
        raise _Refused(done.problems)
    record_event(
        session,
        app.clock,
        actor,
        "instance_migrated",
        f"{process_name(row.process_id)} (instance {row.id}) moved from {from_version} to version {number}",
        case_id=row.case_id,
        detail={
            "instance_id": row.id,
            "from": from_version,
            "to": number,
            "waiting": done.waiting,
            "definition": target.content_hash[:12],
        },
    )
