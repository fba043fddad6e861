"""The scheme steps' contracts as the handlers were at 775e5ce, for that commit's models (tests/fixtures/old_models).

Why kept apart: the live contracts (analysis/contracts.py) follow today's handlers; the regression
fixture is the old models with the old handlers, where an unverified identity waited for ever at
"Disclose in person" because the step after it refused any disclosure before identity was verified.
Checking the old models against today's handlers would be neither then nor now.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis.contracts import CONTRACTS, START_DATA, Contract, Data, Refusal, _text


def _record_identity_check(data: Data, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    documents = list(data.get("identity_documents") or [])
    verified = bool(data.get("identity_verified"))
    if verified and (len(documents) < 2 or not any(d.get("has_photo") for d in documents)):
        raise Refusal("identity recorded as verified without two documents, one with a photo")
    return verified, {"application.identity_verified": verified}


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


OLD_CONTRACTS: dict[str, Contract] = {
    **CONTRACTS,
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
}

_FACTS = {"application.children": [False, True], "application.late": [False, True]}
OLD_START_DATA: dict[str, dict[str, list[Any]]] = {
    **START_DATA,
    "csor_application": {"scheme": ["csor"], **_FACTS},
    "dvds_right_to_ask": {"scheme": ["dvds"], **_FACTS},
    "dvds_right_to_know": {"scheme": ["dvds"], **_FACTS},
}
