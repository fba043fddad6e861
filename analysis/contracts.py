"""What each automated step (service-task handler) can do, as the soundness check sees it.

Why contracts and not the handlers themselves: a handler writes through a database
session and reads records (the application, the episode, the case); running it for
thousands of imagined answers would need a database per answer. A contract states the
part of the handler the control flow depends on, over task data only: which data it
reads, when it refuses (the step rolls back, so the task before it stays open), what it
returns into its ``resultVariable`` and which facts it leaves on records that later steps
read (kept here as data names with a dot, e.g. ``application.identity_verified``).
``tests/test_soundness_contracts.py`` runs each scheme handler against the database and
checks it refuses and answers as its contract says, so a contract cannot drift quietly.

A service task whose operator has no contract here is an element the checker does not
understand: the check fails naming it, it never passes silently.

Facts that come from outside the process (the child's age, whether the application
names children, whether the scheme's time limit has passed by the time a step runs) are
declared per process in :data:`START_DATA` with every value that matters; a variable a
model reads that neither a step, a form, a table nor the start data sets is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Data = Mapping[str, Any]


class Refusal(Exception):
    """The handler would refuse this step (a DomainRuleError): the whole step rolls back."""


def _text(data: Data, key: str) -> str:
    return str(data.get(key) or "").strip()


@dataclass(frozen=True)
class Contract:
    """One operator's behaviour over task data.

    ``run(data, params)`` returns the value for the result variable and the record facts it
    leaves (as a dict of dotted names), or raises :class:`Refusal`. ``not_applicable(data)``
    names the form fields that mean nothing on the route this step takes (a form must not
    require them there).
    """

    reads: frozenset[str]
    run: Callable[[Data, Mapping[str, Any]], tuple[Any, dict[str, Any]]]
    not_applicable: Callable[[Data], frozenset[str]] = field(default=lambda data: frozenset())
    reads_by_param: Mapping[str, Mapping[Any, frozenset[str]]] = field(default_factory=dict)

    def reads_for(self, params: Mapping[str, Any]) -> frozenset[str]:
        """What this call reads: a step whose parameter picks what it records reads only that."""
        for name, by_value in self.reads_by_param.items():
            if params.get(name) in by_value:
                return by_value[params[name]]
        return self.reads


def _constant(value: Any) -> Callable[[Data, Mapping[str, Any]], tuple[Any, dict[str, Any]]]:
    return lambda data, params: (value, {})


# -- consent and sharing ---------------------------------------------------------------------------

GIVEN = ("given", "given_with_restrictions")


def _record_consent(data: Data, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    outcome = data.get("consent_outcome")
    if not data.get("consent_from"):
        raise Refusal("who may consent could not be decided")
    if not data.get("understanding_confirmed") and outcome != "not_sought":
        raise Refusal("understanding not confirmed")
    if outcome in GIVEN and not data.get("recipients"):
        raise Refusal("consent names no recipients")
    if outcome == "given_with_restrictions" and not data.get("restrictions"):
        raise Refusal("restrictions not recorded")
    return 1, {}


def _record_manager_advice(data: Data, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    if data.get("advice_decision") not in ("share", "do_not_share", "seek_consent_first"):
        raise Refusal("no advice decision")
    if len(_text(data, "advice_reasons")) < 10:
        raise Refusal("no reasons for the advice")
    return 1, {}


def _share_outcome(data: Data) -> str:
    route = data.get("share_route")
    if route in ("share", "must_share", "not_shared", "seek_consent_first"):
        return str(route)
    raise Refusal("the decision could not be worked out from the answers")


def _record_share_decision(data: Data, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """As ``tasks/automated/sharing.py: record_share_decision`` with the rules of ``rules/sharing.py``: no
    decision while in doubt (R13); a share rests on a ground or a public-interest judgement, is weighed and
    proportionate, and names its recipients (R11, R19); only a statutory duty or court order makes it required."""
    if data.get("in_doubt"):
        raise Refusal("a decision recorded while the practitioner is in doubt")
    outcome = _share_outcome(data)
    grounds = set(data.get("grounds") or [])
    weighing = data.get("weighing")
    if outcome in ("share", "must_share"):
        if not grounds and not data.get("public_interest"):
            raise Refusal("no ground and no public-interest case")
        if not (isinstance(weighing, dict) and weighing.get("proportionate") is True):
            raise Refusal("sharing not weighed and found proportionate")
        if not data.get("share_recipients"):
            raise Refusal("no recipient named")
    if outcome == "must_share" and "statutory_duty_or_court_order" not in grounds:
        raise Refusal("only a statutory duty or court order makes sharing mandatory")
    return 1, {}


def _record_informing(data: Data, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    outcome = data.get("inform_outcome")
    if outcome != "told" and len(_text(data, "inform_note")) < 10:
        raise Refusal("no reason recorded for not telling the individual")
    return outcome, {}


# -- police disclosure schemes (tasks/automated/schemes.py, tasks/automated/scheme_outcomes.py) ----------------
# Facts of the application the steps read, declared in START_DATA: ``route``; ``application.children`` (children
# in the family); ``application.safe_contact`` (a safe way to write to the letter's addressee was recorded at first
# contact); ``application.late`` (the time limit has passed by the time an outcome is recorded). The person at
# risk (DVDS) and the applicant (CSOR, right to ask) are always named at first contact (services/schemes.py).


def _letter_goes_safely(data: Data) -> None:
    """``letter_recipient``: a letter goes only by a safe way, given on the form or recorded at first contact."""
    if not _text(data, "safe_contact") and not data.get("application.safe_contact"):
        raise Refusal("no safe way to send the letter is recorded")


def _not_verified_next_step(data: Data) -> str:
    """``not_verified_next_step``: identity not verified, so the meeting is re-arranged or the application closed
    with a letter (any other answer is a model error: the step fails)."""
    step = data.get("next_step")
    if step == "close":
        _letter_goes_safely(data)
    if step not in ("rearrange", "close"):
        raise Refusal(f"next step {step!r} after an unverified identity")
    return str(step)


def _documents_checked(data: Data, name: str) -> None:
    """``check_identity_documents`` (R34): two documents, at least one with a photo."""
    documents = list(data.get(name) or [])
    if len(documents) < 2 or not any(isinstance(d, dict) and d.get("has_photo") for d in documents):
        raise Refusal("identity is verified with two documents, at least one with a photo")


def _record_identity_check(data: Data, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    if not data.get("identity_verified"):
        return _not_verified_next_step(data), {}
    _documents_checked(data, "identity_documents")
    return "verified", {}


def _record_scheme_stage(data: Data, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    stage = params.get("stage")
    if stage == "initial_checks":
        return True, {"application.immediate_risk": bool(data.get("immediate_risk"))}
    if stage == "risk_assessment":
        if data.get("scheme") == "dvds":
            met = bool(data.get("relevant_convictions") or data.get("information_indicates_risk"))
            return True, {"application.dvds_test_met": met}
        both = bool(data.get("relevant_convictions") and data.get("information_indicates_risk"))
        return True, {"application.csor_risk_found": both}
    raise Refusal(f"unknown stage {stage!r}")


def _record_scheme_decision(data: Data, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    if data.get("scheme") == "dvds":
        _dvds_decision(data)
    else:
        _csor_decision(data)
    return bool(data.get("disclose")), {}


def _dvds_decision(data: Data) -> None:
    """``_check_dvds_decision`` (R28, R30, R31, R32, R35)."""
    test_met = bool(data.get("application.dvds_test_met"))
    if data.get("forum") == "police_alone_on_immediate_risk" and not data.get("application.immediate_risk"):
        raise Refusal("police decide without the forum only on immediate risk")
    if data.get("application.children") and not _text(data, "impact_on_children"):
        raise Refusal("the impact on the children is not recorded")
    if not data.get("disclose"):
        if test_met and len(_text(data, "decision_reasons")) < 20:
            raise Refusal("the test is met, so not disclosing needs full reasons")
        return
    if not test_met:
        raise Refusal("a disclosure needs convictions or information indicating a risk")
    recipient = data.get("recipient")
    if recipient == "applicant" and data.get("route") == "right_to_know":
        raise Refusal("the agency that asked cannot receive a disclosure")
    if recipient not in ("person_at_risk", "applicant") and not _text(data, "recipient_name"):
        raise Refusal("the disclosure names no one to receive it")
    if any(data.get(k) is not True for k in ("lawful", "necessary", "proportionate")):
        raise Refusal("a disclosure must be lawful, necessary and proportionate")


def _csor_decision(data: Data) -> None:
    """``_check_csor_decision`` (R25, R37)."""
    presumption = bool(data.get("application.csor_risk_found") and data.get("necessary") and data.get("proportionate"))
    if not data.get("disclose"):
        if presumption and len(_text(data, "decision_reasons")) < 20:
            raise Refusal("the presumption to disclose applies, so not disclosing needs full reasons")
        return
    if not (data.get("necessary") and data.get("proportionate")):
        raise Refusal("a disclosure must be necessary and proportionate")
    if not data.get("in_childs_interests"):
        raise Refusal("a disclosure must be in the child's interests")
    if not data.get("recipient_best_placed"):
        raise Refusal("the recipient must be the person best placed to protect the child")


def _decision_not_applicable(data: Data) -> frozenset[str]:
    if data.get("disclose"):
        return frozenset()
    return frozenset(
        {
            "pressing_need",
            "recipient",
            "recipient_name",
            "recipient_relationship",
            "able_to_safeguard",
            "safety_plan",
            "recipient_best_placed",
            "tell_subject",
        }
    )


def _time_limit(data: Data) -> dict[str, Any]:
    """``_check_time_limit`` (R32, R33): late only with a reason for the exceptional delay, given now (and kept)
    or recorded by the police supervisor when the time limit passed."""
    given = bool(_text(data, "exceptional_delay_reason"))
    if data.get("application.late") and not (given or data.get("application.delay_recorded")):
        raise Refusal("the time limit has passed and no exceptional delay is recorded")
    return {"application.delay_recorded": True} if given else {}


def _record_scheme_disclosure(data: Data, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The disclosure meeting (R34, R26, R27): the recipient's identity first, then the warning, then the
    undertaking signed (disclosed) or refused (a police decision follows; nothing is disclosed yet)."""
    if not data.get("recipient_identity_verified"):
        return _not_verified_next_step(data), {}
    _documents_checked(data, "recipient_identity_documents")
    if data.get("warning_given") is not True:
        raise Refusal("the warning is given before anything is disclosed")
    if data.get("undertaking_signed") is not True:
        return "refused_to_sign", {}
    return "disclosed", _time_limit(data)


def _meeting_not_applicable(data: Data) -> frozenset[str]:
    if not data.get("recipient_identity_verified"):
        return frozenset(
            {
                "recipient_identity_documents",
                "warning_given",
                "undertaking_signed",
                "information_disclosed",
                "support_offered",
                "exceptional_delay_reason",
            }
            | ({"closure_reason"} if data.get("next_step") == "rearrange" else {"rearranged_for"})
        )
    fields = {"next_step", "rearranged_for", "closure_reason"}
    if data.get("undertaking_signed") is not True:
        fields |= {"information_disclosed", "support_offered"}  # nothing is disclosed at this meeting
    return frozenset(fields)


def _record_unsigned_decision(data: Data, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """R27: police decide to disclose without a signed undertaking (the time limit then applies) or withhold."""
    if data.get("decision") == "disclose_anyway":
        return "disclosed", _time_limit(data)
    return "withheld", {}


def _unsigned_not_applicable(data: Data) -> frozenset[str]:
    if data.get("decision") == "disclose_anyway":
        return frozenset()
    return frozenset({"information_disclosed", "support_offered", "exceptional_delay_reason"})


def _record_scheme_no_disclosure(data: Data, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """R36 (R29 for right to know): support offered, the letter sent in a safe way, within the time limit."""
    if not _text(data, "support_offered"):
        raise Refusal("support must be offered even when nothing is disclosed")
    _letter_goes_safely(data)
    return 1, _time_limit(data)


def _record_time_limit_review(data: Data, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """R32, R33: the police supervisor's reason for the exceptional delay is kept on the application, so the
    outcome may be recorded late without asking again."""
    return True, ({"application.delay_recorded": True} if _text(data, "delay_reason") else {})


_TIME_LIMIT = frozenset({"exceptional_delay_reason", "application.late", "application.delay_recorded"})
_NEXT_STEP = frozenset({"next_step", "safe_contact", "application.safe_contact"})

# -- h/ready (issue 16): subject access requests (tasks/automated/subject_access.py) --------------


def _extend_subject_access(data: Data, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    if data.get("sar.extended"):
        raise Refusal("the time limit can be extended only once")
    if len(_text(data, "extension_reason")) < 10:
        raise Refusal("an extension without its reason")
    return "2027-02-23", {"sar.extended": True}


def _keep_subject_access_reply(data: Data, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    if data.get("withheld_checked") is not True:
        raise Refusal("signed off before what is withheld was checked")
    return "0" * 64, {}


CONTRACTS: dict[str, Contract] = {
    "record_consent": Contract(
        frozenset({"consent_outcome", "consent_from", "understanding_confirmed", "recipients", "restrictions"}),
        _record_consent,
    ),
    "produce_consent_form": Contract(frozenset(), _constant(1)),
    "compute_deadline": Contract(frozenset(), _constant("2026-01-01T00:00:00+00:00")),
    "notify": Contract(frozenset(), _constant(1)),
    "record_manager_advice": Contract(frozenset({"advice_decision", "advice_reasons"}), _record_manager_advice),
    "record_share_decision": Contract(
        frozenset({"share_route", "in_doubt", "grounds", "public_interest", "weighing", "share_recipients"}),
        _record_share_decision,
    ),
    "record_informing": Contract(frozenset({"inform_outcome", "inform_note"}), _record_informing),
    "record_disclosure": Contract(frozenset(), _constant(1)),
    "record_received_information": Contract(frozenset(), _constant(1)),
    "record_scheme_stage": Contract(
        frozenset({"scheme", "immediate_risk", "relevant_convictions", "information_indicates_risk"}),
        _record_scheme_stage,
        reads_by_param={
            "stage": {
                "initial_checks": frozenset({"immediate_risk"}),
                "risk_assessment": frozenset({"scheme", "relevant_convictions", "information_indicates_risk"}),
            }
        },
    ),
    "record_identity_check": Contract(
        frozenset({"identity_verified", "identity_documents"}) | _NEXT_STEP, _record_identity_check
    ),
    "record_scheme_decision": Contract(
        frozenset(
            {
                "scheme",
                "route",
                "forum",
                "disclose",
                "lawful",
                "necessary",
                "proportionate",
                "recipient",
                "recipient_name",
                "impact_on_children",
                "decision_reasons",
                "in_childs_interests",
                "recipient_best_placed",
                "application.dvds_test_met",
                "application.csor_risk_found",
                "application.immediate_risk",
                "application.children",
            }
        ),
        _record_scheme_decision,
        _decision_not_applicable,
    ),
    "prepare_undertaking": Contract(frozenset(), _constant(1)),
    "record_scheme_disclosure": Contract(
        frozenset(
            {"recipient_identity_verified", "recipient_identity_documents", "warning_given", "undertaking_signed"}
        )
        | _NEXT_STEP
        | _TIME_LIMIT,
        _record_scheme_disclosure,
        _meeting_not_applicable,
    ),
    "record_unsigned_decision": Contract(
        frozenset({"decision"}) | _TIME_LIMIT, _record_unsigned_decision, _unsigned_not_applicable
    ),
    "record_scheme_no_disclosure": Contract(
        frozenset({"support_offered", "safe_contact", "application.safe_contact"}) | _TIME_LIMIT,
        _record_scheme_no_disclosure,
    ),
    "record_time_limit_review": Contract(frozenset({"delay_reason"}), _record_time_limit_review),
    "subject_access_time": Contract(frozenset(), _constant("2026-12-23T23:59:00+00:00")),
    "extend_subject_access": Contract(frozenset({"extension_reason", "sar.extended"}), _extend_subject_access),
    "keep_subject_access_reply": Contract(frozenset({"withheld_checked"}), _keep_subject_access_reply),
    "record_subject_access_reply_sent": Contract(frozenset({"sent_on", "sent_method"}), _constant("in_time")),
}

_SCHEME_FACTS = {
    "application.children": [False, True],
    "application.late": [False, True],
    "application.safe_contact": [True, False],
}

#: Facts a process starts with (from the service that starts it), each with the values that matter.
START_DATA: dict[str, dict[str, list[Any]]] = {
    "consent_seeking": {"child_age": [12, 16], "child_competent": [None]},
    "share_without_consent": {"consent_outcome": [None, "refused", "not_sought"]},
    "manager_consultation": {},
    "disclosure_record": {},
    "information_received": {},
    "csor_application": {"scheme": ["csor"], "route": ["csor"], **_SCHEME_FACTS},
    "dvds_right_to_ask": {"scheme": ["dvds"], "route": ["right_to_ask"], **_SCHEME_FACTS},
    "dvds_right_to_know": {"scheme": ["dvds"], "route": ["right_to_know"], **_SCHEME_FACTS},
    "subject_access_request": {"sar.extended": [False]},
}


# -- h/refer: referral to children's social care (P9, R41) -----------------------------------------


def _record_immediate_action(data: Data, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    if not data.get("police_called") and not data.get("duty_team_told"):
        raise Refusal("a child at immediate risk: neither the police nor the duty team contacted")
    return True, {}


def _record_referral(data: Data, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    if data.get("referral_consent") in ("refused", "not_sought") and data.get("team_told_consent_status") is not True:
        raise Refusal("without consent the team must be told consent was refused or not sought")
    return 1, {}


CONTRACTS.update(
    {
        "record_immediate_action": Contract(frozenset({"police_called", "duty_team_told"}), _record_immediate_action),
        "record_referral": Contract(frozenset({"referral_consent", "team_told_consent_status"}), _record_referral),
        "referral_deadline": Contract(frozenset(), _constant("2026-01-01T00:00:00+00:00")),
        "record_referral_response": Contract(frozenset(), _constant(True)),
        "record_referral_follow_up": Contract(frozenset(), _constant(True)),
    }
)
START_DATA["referral"] = {"immediate_risk": [True, False]}


# -- h/refer: a request from another agency (P10, R46) -----------------------------------------------------


def _record_request_answer(data: Data, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    if data.get("answer_decision") not in ("answer", "decline"):
        raise Refusal("neither answered nor declined")
    return True, {}


CONTRACTS.update(
    {
        "record_agency_request": Contract(frozenset(), _constant(1)),
        "request_deadline": Contract(frozenset(), _constant("2026-01-01T00:00:00+00:00")),
        "record_request_answer": Contract(frozenset({"answer_decision"}), _record_request_answer),
        # h/pract: the other agency's answer to a request we sent, delivered by its reference (a message)
        "record_agency_answer": Contract(frozenset(), _constant(True)),
    }
)
START_DATA["agency_request"] = {"request_direction": ["inbound", "outbound"]}


# -- h/police: R31 a link to a child's case confirmed by its team; R45 a suspected breach of an undertaking -----

CONTRACTS.update(
    {
        "record_case_link_answer": Contract(
            frozenset({"link_confirmed"}),
            lambda data, params: ("confirmed" if data.get("link_confirmed") is True else "declined", {}),
        ),
        "record_breach_decision": Contract(frozenset({"breach_action"}), _constant(True)),
        "record_outcome_review": Contract(frozenset({"team_action"}), _constant(True)),
    }
)
START_DATA["scheme_case_link"] = {}
START_DATA["scheme_undertaking_breach"] = {}
START_DATA["scheme_outcome_review"] = {}
