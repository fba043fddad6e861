"""Consent seeking (P1) through the real engine and task service: every path, and each rule broken."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from safeshare.core.errors import DomainRuleError, FormValidationError
from safeshare.core.records import AuditEvent, ConsentRecord, Document, OpenTask
from tests.builders import EXPLAINED, Scenario


def consent_count(scenario: Scenario) -> int:
    with scenario.app.db.read() as s:
        return s.scalar(select(func.count()).select_from(ConsentRecord)) or 0


def audit_count(scenario: Scenario) -> int:
    with scenario.app.db.read() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent)) or 0


def judge(scenario: Scenario, instance: int, competent: bool) -> None:
    scenario.complete(
        instance,
        "judge_competence",
        "pat",
        {"child_competent": competent, "competence_reasons": "Talked it through at length"},
    )
    scenario.complete(
        instance, "advise_on_competence", "max", {"manager_agrees_competence": True, "competence_advice": "Agreed"}
    )


def test_r2_under_16_not_competent_parent_consents_and_form_is_written(scenario: Scenario) -> None:
    """R1, R2, R4, R8: consent sought first; competence judged and advised on; parent consents; form written."""
    case_id, ids = scenario.open_case(12)
    instance = scenario.start_episode(case_id)
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["judge_competence"]
    judge(scenario, instance, competent=False)
    row = scenario.complete(
        instance,
        "seek_consent",
        "pat",
        {
            **EXPLAINED,
            "understanding_confirmed": True,
            "consent_outcome": "given",
            "consenting_person_id": ids["parent1"],
            "recipients": [{"agency": "School nursing"}],
        },
    )
    assert (row.status, row.outcome) == ("completed", "consent_given")
    with scenario.app.db.read() as s:
        record = s.scalars(select(ConsentRecord)).one()
        assert record.consent_from == "person_with_pr"
        assert record.recipients == [{"agency": "School nursing"}]
        assert record.competence == {
            "child_competent": False,
            "reasons": "Talked it through at length",
            "manager_agrees": True,
            "manager_advice": "Agreed",
        }
        form = s.scalars(select(Document).where(Document.kind == "consent_form")).one()  # R8
        assert "School nursing" in form.content_html and "Parent 1" in form.content_html
        assert s.scalar(select(func.count()).select_from(OpenTask)) == 0


def test_r7_restrictions_are_recorded_and_printed_on_the_form(scenario: Scenario) -> None:
    case_id, ids = scenario.open_case(17)
    instance = scenario.start_episode(case_id)
    scenario.complete(
        instance,
        "seek_consent",
        "pat",
        {
            **EXPLAINED,
            "understanding_confirmed": True,
            "consent_outcome": "given_with_restrictions",
            "consenting_person_id": ids["child"],
            "recipients": [{"agency": "CAMHS"}],
            "restrictions": ["Not to be disclosed to <the father>"],
        },
    )
    with scenario.app.db.read() as s:
        assert s.scalars(select(ConsentRecord)).one().restrictions == ["Not to be disclosed to <the father>"]
        html = s.scalars(select(Document)).one().content_html
        assert "Not to be disclosed to &lt;the father&gt;" in html  # autoescaped


def test_r3_competent_15_year_old_refuses_against_parent(scenario: Scenario) -> None:
    case_id, ids = scenario.open_case(15)
    instance = scenario.start_episode(case_id)
    judge(scenario, instance, competent=True)
    row = scenario.complete(
        instance,
        "seek_consent",
        "pat",
        {
            **EXPLAINED,
            "understanding_confirmed": True,
            "consent_outcome": "refused",
            "consenting_person_id": ids["child"],
        },
    )
    # R12: a refusal leads on to deciding whether to share without consent (P2, a call activity).
    assert row.status == "waiting" and [t.task_spec for t in scenario.open_tasks(instance)] == ["decide_grounds"]
    with scenario.app.db.read() as s:
        record = s.scalars(select(ConsentRecord)).one()
        assert (record.consent_from, record.outcome, record.consenting_person_id) == ("child", "refused", ids["child"])


def test_r3_parent_cannot_override_a_competent_child(scenario: Scenario) -> None:
    case_id, ids = scenario.open_case(15)
    instance = scenario.start_episode(case_id)
    judge(scenario, instance, competent=True)
    before = audit_count(scenario)
    with pytest.raises(DomainRuleError, match=r"R3"):
        scenario.complete(
            instance,
            "seek_consent",
            "pat",
            {
                **EXPLAINED,
                "understanding_confirmed": True,
                "consent_outcome": "given",
                "consenting_person_id": ids["parent1"],
                "recipients": [{"agency": "School"}],
            },
        )
    assert consent_count(scenario) == 0 and audit_count(scenario) == before
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["seek_consent"]


def test_r3_a_15_year_old_judged_not_competent_cannot_override_parent(scenario: Scenario) -> None:
    case_id, ids = scenario.open_case(15)
    instance = scenario.start_episode(case_id)
    judge(scenario, instance, competent=False)
    with pytest.raises(DomainRuleError, match="parental responsibility"):
        scenario.complete(
            instance,
            "seek_consent",
            "pat",
            {
                **EXPLAINED,
                "understanding_confirmed": True,
                "consent_outcome": "refused",
                "consenting_person_id": ids["child"],
            },
        )
    assert consent_count(scenario) == 0


@pytest.mark.parametrize("age", [16, 17])
def test_r2_young_person_consents_alone_without_competence_steps(scenario: Scenario, age: int) -> None:
    case_id, ids = scenario.open_case(age)
    instance = scenario.start_episode(case_id)
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["seek_consent"]
    scenario.complete(
        instance,
        "seek_consent",
        "pat",
        {
            **EXPLAINED,
            "understanding_confirmed": True,
            "consent_outcome": "given",
            "consenting_person_id": ids["child"],
            "recipients": [{"agency": "CAMHS"}],
        },
    )
    with scenario.app.db.read() as s:
        assert s.scalars(select(ConsentRecord)).one().consent_from == "young_person"


def test_r2_parent_cannot_consent_for_a_16_year_old(scenario: Scenario) -> None:
    case_id, ids = scenario.open_case(16)
    instance = scenario.start_episode(case_id)
    with pytest.raises(DomainRuleError, match="R2"):
        scenario.complete(
            instance,
            "seek_consent",
            "pat",
            {
                **EXPLAINED,
                "understanding_confirmed": True,
                "consent_outcome": "given",
                "consenting_person_id": ids["parent1"],
                "recipients": [{"agency": "CAMHS"}],
            },
        )


def test_r2_under_16_with_no_one_holding_pr_cannot_consent(scenario: Scenario) -> None:
    case_id, ids = scenario.open_case(12, parents=0)
    instance = scenario.start_episode(case_id)
    judge(scenario, instance, competent=False)
    with pytest.raises(DomainRuleError, match="parental responsibility"):
        scenario.complete(
            instance,
            "seek_consent",
            "pat",
            {
                **EXPLAINED,
                "understanding_confirmed": True,
                "consent_outcome": "given",
                "consenting_person_id": ids["child"],
                "recipients": [{"agency": "School"}],
            },
        )


def test_r15_consent_not_sought_records_reason(scenario: Scenario) -> None:
    case_id, _ = scenario.open_case(16)
    instance = scenario.start_episode(case_id)
    row = scenario.complete(
        instance,
        "seek_consent",
        "pat",
        {
            "consent_outcome": "not_sought",
            "not_sought_ground": "crime_investigation",
            "not_sought_reason": "Police advise that asking would alert the suspect",
        },
    )
    # R15: not sought leads on to deciding whether to share without consent (P2, a call activity).
    assert row.status == "waiting" and [t.task_spec for t in scenario.open_tasks(instance)] == ["decide_grounds"]
    with scenario.app.db.read() as s:
        record = s.scalars(select(ConsentRecord)).one()
        assert record.not_sought_ground == "crime_investigation" and record.consenting_person_id is None


def test_r6_consent_without_recipients_is_refused_by_the_form(scenario: Scenario) -> None:
    case_id, ids = scenario.open_case(16)
    instance = scenario.start_episode(case_id)
    with pytest.raises(FormValidationError) as err:
        scenario.complete(
            instance,
            "seek_consent",
            "pat",
            {
                **EXPLAINED,
                "understanding_confirmed": True,
                "consent_outcome": "given",
                "consenting_person_id": ids["child"],
            },
        )
    assert "recipients" in err.value.field_errors
    assert consent_count(scenario) == 0


def test_r5_consent_needs_confirmed_understanding(scenario: Scenario) -> None:
    case_id, ids = scenario.open_case(16)
    instance = scenario.start_episode(case_id)
    with pytest.raises((FormValidationError, DomainRuleError)):
        scenario.complete(
            instance,
            "seek_consent",
            "pat",
            {
                **EXPLAINED,
                "understanding_confirmed": False,
                "consent_outcome": "given",
                "consenting_person_id": ids["child"],
                "recipients": [{"agency": "CAMHS"}],
            },
        )
    assert consent_count(scenario) == 0


def test_r9_fresh_consent_after_a_significant_change(scenario: Scenario) -> None:
    from safeshare.core.records import Episode
    from safeshare.services import cases

    case_id, ids = scenario.open_case(16)
    instance = scenario.start_episode(case_id)
    scenario.complete(
        instance,
        "seek_consent",
        "pat",
        {
            **EXPLAINED,
            "understanding_confirmed": True,
            "consent_outcome": "given",
            "consenting_person_id": ids["child"],
            "recipients": [{"agency": "CAMHS"}],
        },
    )
    with scenario.app.transaction() as s:
        episode = s.scalars(select(Episode)).one()
        fresh = cases.record_significant_change(
            scenario.app, s, scenario.user(s, "pat"), episode.id, "Moved to live with grandparents in another area"
        ).id
    scenario.complete(
        fresh,
        "seek_consent",
        "pat",
        {
            **EXPLAINED,
            "understanding_confirmed": True,
            "consent_outcome": "refused",
            "consenting_person_id": ids["child"],
        },
    )
    with scenario.app.db.read() as s:
        records = list(s.scalars(select(ConsentRecord).order_by(ConsentRecord.id)))
        assert [(r.status, r.outcome) for r in records] == [("superseded", "given"), ("active", "refused")]


def test_r9_one_active_consent_per_episode(scenario: Scenario) -> None:
    """Two consent processes racing in one episode: the second to record is refused."""
    from safeshare.core.records import Episode

    case_id, ids = scenario.open_case(16)
    first = scenario.start_episode(case_id)
    with scenario.app.transaction() as s:
        episode = s.scalars(select(Episode)).one()
        from safeshare.core.records import Case
        from safeshare.services.cases import _consent_start_data

        user = scenario.user(s, "pat")
        data = _consent_start_data(scenario.app, s, user, s.get(Case, case_id), episode, None)
        second = scenario.app.engine.start(
            s, scenario.app.clock, "consent_seeking", data, actor=user, case_id=case_id, episode_id=episode.id
        ).id
    form = {
        **EXPLAINED,
        "understanding_confirmed": True,
        "consent_outcome": "given",
        "consenting_person_id": ids["child"],
        "recipients": [{"agency": "CAMHS"}],
    }
    scenario.complete(first, "seek_consent", "pat", form)
    with pytest.raises(DomainRuleError, match="R9"):
        scenario.complete(second, "seek_consent", "pat", form)
    assert consent_count(scenario) == 1


def test_r8_consent_is_not_in_force_until_signed_and_the_copy_given_is_recorded(scenario: Scenario) -> None:
    """R8: consent given is signed in the page (the person types their own name, with a date not in the
    future) or given out loud with a named witness; how the person got their copy is recorded and printed."""
    case_id, ids = scenario.open_case(16)
    instance = scenario.start_episode(case_id)
    unsigned = {k: v for k, v in EXPLAINED.items() if k not in ("consent_signature", "witness_name", "copy_given")}
    given = {**unsigned, "understanding_confirmed": True, "consent_outcome": "given",
             "consenting_person_id": ids["child"], "recipients": [{"agency": "CAMHS"}]}
    with pytest.raises(FormValidationError) as refused:
        scenario.complete(instance, "seek_consent", "pat", given)
    assert set(refused.value.field_errors) == {"consent_signature", "copy_given"}
    typed = {**given, "consent_signature": "typed_name", "signed_name": "Child Test", "copy_given": "email"}
    with pytest.raises(FormValidationError) as refused:
        scenario.complete(instance, "seek_consent", "pat", {**typed, "signed_on": "2026-12-01"})
    assert refused.value.field_errors == {"signed_on": "The date they signed must be today or in the past"}
    with pytest.raises(DomainRuleError, match="must be the name of the person consenting, Child Test"):
        scenario.complete(instance, "seek_consent", "pat",
                          {**typed, "signed_name": "Parent 1", "signed_on": "2026-11-23"})
    with pytest.raises(DomainRuleError, match="witness must be someone other than the person consenting"):
        scenario.complete(instance, "seek_consent", "pat",
                          {**given, "consent_signature": "verbal_with_witness", "witness_name": "child test",
                           "copy_given": "post"})
    assert consent_count(scenario) == 0
    scenario.complete(instance, "seek_consent", "pat", {**typed, "signed_on": "2026-11-23"})
    with scenario.app.db.read() as s:
        record = s.scalars(select(ConsentRecord)).one()
        assert record.signature == {"method": "typed_name", "name": "Child Test", "on": "2026-11-23"}
        assert record.copy_given == "email"
        form = s.scalars(select(Document).where(Document.kind == "consent_form")).one()
        assert 'typed their name as "Child Test" on 2026-11-23' in form.content_html
        assert "was given to Child Test by email" in form.content_html
