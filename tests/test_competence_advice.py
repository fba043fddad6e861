"""R4: a manager who does not agree with the practitioner's judgement of a child's understanding sends it
back: the practitioner judges again, the manager is asked again, and only then is consent sought."""

from __future__ import annotations

from sqlalchemy import select

from safeshare.core.records import ConsentRecord
from tests.builders import EXPLAINED, Scenario


def test_r4_a_manager_who_disagrees_sends_the_judgement_back_to_the_practitioner(scenario: Scenario) -> None:
    case_id, ids = scenario.open_case(12)
    instance = scenario.start_episode(case_id)
    scenario.complete(
        instance,
        "judge_competence",
        "pat",
        {"child_competent": True, "competence_reasons": "She explained it back in her own words"},
    )
    scenario.complete(
        instance,
        "advise_on_competence",
        "max",
        {
            "manager_agrees_competence": False,
            "competence_advice": "She is 12 and was upset at the visit: check again on a calmer day",
        },
    )
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["judge_competence"]  # back to the practitioner
    scenario.complete(
        instance,
        "judge_competence",
        "pat",
        {"child_competent": False, "competence_reasons": "On a second visit she could not say why"},
    )
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["advise_on_competence"]  # asked again
    scenario.complete(
        instance,
        "advise_on_competence",
        "max",
        {"manager_agrees_competence": True, "competence_advice": "Agreed after the second visit"},
    )
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["seek_consent"]
    scenario.complete(
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
    with scenario.app.db.read() as s:
        record = s.scalars(select(ConsentRecord)).one()
    assert record.consent_from == "person_with_pr"
    assert record.competence is not None
    assert (record.competence["child_competent"], record.competence["manager_agrees"]) == (False, True)
