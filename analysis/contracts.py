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
    if route in ("share", "must_share", "blocked", "not_shared", "seek_consent_first"):
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


# -- police disclosure schemes ---------------------------------------------------------------------


def _record_identity_check(data: Data, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    documents = list(data.get("identity_documents") or [])
    verified = bool(data.get("identity_verified"))
    if verified and (len(documents) < 2 or not any(d.get("has_photo") for d in documents)):
        raise Refusal("identity recorded as verified without two documents, one with a photo")
    return verified, {"application.identity_verified": verified}


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
    test_met = bool(data.get("application.dvds_test_met"))
    if data.get("forum") == "immediate_risk_police_decision" and not data.get("application.immediate_risk"):
        raise Refusal("only immediate risk lets police decide without the forum")
    if data.get("application.children") and not _text(data, "impact_on_children"):
        raise Refusal("the impact on the children is not recorded")
    if not data.get("disclose"):
        if test_met and len(_text(data, "decision_reasons")) < 20:
            raise Refusal("the test is met, so not disclosing needs full reasons")
        return
    if not test_met:
        raise Refusal("a disclosure needs convictions or information indicating a risk")
    if data.get("recipient_is") not in ("person_at_risk", "able_to_safeguard") or not _text(data, "recipient_name"):
        raise Refusal("the recipient is neither the person at risk nor someone able to safeguard them")
    if any(data.get(k) is not True for k in ("lawful", "necessary", "proportionate")) or not (
        _text(data, "pressing_need") and _text(data, "safety_plan")
    ):
        raise Refusal("a disclosure must be lawful, necessary, proportionate, with a pressing need and a plan")


def _csor_decision(data: Data) -> None:
    presumption = bool(data.get("application.csor_risk_found") and data.get("necessary") and data.get("proportionate"))
    if not data.get("disclose"):
        if presumption and len(_text(data, "decision_reasons")) < 20:
            raise Refusal("the presumption to disclose applies, so not disclosing needs full reasons")
        return
    if not (data.get("necessary") and data.get("proportionate")):
        raise Refusal("a disclosure must be necessary and proportionate")
    if not data.get("in_childs_interests"):
        raise Refusal("a disclosure must be in the child's interests")
    if not data.get("recipient_best_placed") or not _text(data, "recipient_name"):
        raise Refusal("the recipient must be the person best placed to protect the child")


def _dvds_or_csor_not_applicable(data: Data) -> frozenset[str]:
    if data.get("disclose"):
        return frozenset()
    return frozenset(
        {
            "pressing_need",
            "recipient_name",
            "recipient_is",
            "safety_plan",
            "recipient_relationship",
            "recipient_best_placed",
            "tell_subject",
        }
    )


def _record_scheme_disclosure(data: Data, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    if not data.get("application.identity_verified"):
        raise Refusal("nothing is disclosed before identity is verified at the face-to-face meeting")
    if data.get("disclosed_in_person") is not True or data.get("warning_given") is not True:
        raise Refusal("a disclosure is made in person, with the warning")
    signed = data.get("undertaking_signed") is True
    decision = data.get("unsigned_police_decision")
    if not signed and (
        decision not in ("disclose_anyway", "do_not_disclose") or len(_text(data, "unsigned_police_reasons")) < 10
    ):
        raise Refusal("the undertaking was not signed and no police decision is recorded")
    disclosed = signed or decision == "disclose_anyway"
    if disclosed and data.get("application.late") and not _text(data, "exceptional_delay_reason"):
        raise Refusal("the time limit has passed and no exceptional delay is recorded")
    return ("disclosed" if disclosed else "withheld"), {}


def _disclosure_not_applicable(data: Data) -> frozenset[str]:
    signed = data.get("undertaking_signed") is True
    withheld = not signed and data.get("unsigned_police_decision") == "do_not_disclose"
    fields = {"unsigned_police_decision", "unsigned_police_reasons"} if signed else set()
    if withheld:
        fields |= {"information_disclosed"}
    return frozenset(fields)


def _record_scheme_no_disclosure(data: Data, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    if not _text(data, "support_offered"):
        raise Refusal("support must be offered even when nothing is disclosed")
    if data.get("application.late") and not _text(data, "exceptional_delay_reason"):
        raise Refusal("the time limit has passed and no exceptional delay is recorded")
    return 1, {}


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
    "record_identity_check": Contract(frozenset({"identity_verified", "identity_documents"}), _record_identity_check),
    "record_scheme_decision": Contract(
        frozenset(
            {
                "scheme",
                "forum",
                "disclose",
                "lawful",
                "necessary",
                "proportionate",
                "pressing_need",
                "recipient_name",
                "recipient_is",
                "safety_plan",
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
        _dvds_or_csor_not_applicable,
    ),
    "record_scheme_disclosure": Contract(
        frozenset(
            {
                "application.identity_verified",
                "disclosed_in_person",
                "warning_given",
                "undertaking_signed",
                "unsigned_police_decision",
                "unsigned_police_reasons",
                "exceptional_delay_reason",
                "application.late",
            }
        ),
        _record_scheme_disclosure,
        _disclosure_not_applicable,
    ),
    "record_scheme_no_disclosure": Contract(
        frozenset({"support_offered", "exceptional_delay_reason", "application.late"}), _record_scheme_no_disclosure
    ),
    "subject_access_time": Contract(frozenset(), _constant("2026-12-23T23:59:00+00:00")),
    "extend_subject_access": Contract(frozenset({"extension_reason", "sar.extended"}), _extend_subject_access),
    "keep_subject_access_reply": Contract(frozenset({"withheld_checked"}), _keep_subject_access_reply),
    "record_subject_access_reply_sent": Contract(frozenset({"sent_on", "sent_method"}), _constant("in_time")),
}

_SCHEME_FACTS = {"application.children": [False, True], "application.late": [False, True]}

#: Facts a process starts with (from the service that starts it), each with the values that matter.
START_DATA: dict[str, dict[str, list[Any]]] = {
    "consent_seeking": {"child_age": [12, 16], "child_competent": [None]},
    "share_without_consent": {"consent_outcome": [None, "refused", "not_sought"]},
    "manager_consultation": {},
    "disclosure_record": {},
    "information_received": {},
    "csor_application": {"scheme": ["csor"], **_SCHEME_FACTS},
    "dvds_right_to_ask": {"scheme": ["dvds"], **_SCHEME_FACTS},
    "dvds_right_to_know": {"scheme": ["dvds"], **_SCHEME_FACTS},
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
