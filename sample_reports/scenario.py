"""Who the two demo processors are, and the clean background cases they handle.

Background cases follow the default contract profile of docs/checks.md on purpose (forwarded within one
working day, escalated where required, opt-outs suppressed within two working days, answered well
within the month), so that what the checks find is what planted.py plants, not random noise.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, time, timedelta

from sample_reports.cases import (
    ESCALATE_OUTCOMES,
    ESCALATE_TYPES,
    PROCESSOR_HANDLED,
    VERIFY_TYPES,
    Case,
    add_working_days,
    is_working_day,
    month_bounds,
)

TYPE_WEIGHTS = {
    "marketing_opt_out": 36, "access": 20, "erasure": 9, "rectification": 8, "consent_withdrawal": 7,
    "complaint": 7, "objection": 5, "other": 4, "portability": 2, "restriction": 2,
}
OUTCOME_WEIGHTS = {
    "access": {"fulfilled": 78, "no_data": 8, "partially_fulfilled": 5, "withdrawn": 4,
               "identity_not_confirmed": 5},
    "portability": {"fulfilled": 9, "no_data": 1},
    "erasure": {"fulfilled": 8, "refused": 1, "no_data": 1},
    "restriction": {"fulfilled": 9, "refused": 1},
    "objection": {"fulfilled": 3, "refused": 1},
    "complaint": {"fulfilled": 19, "withdrawn": 1},
    "other": {"fulfilled": 1},
    "rectification": {"fulfilled": 9, "no_data": 1},
    "consent_withdrawal": {"fulfilled": 1},
    "marketing_opt_out": {"fulfilled": 1},
}
WEEKDAY_CHANNELS = {"phone": 50, "email": 20, "web": 17, "letter": 5, "chat": 8}
WEEKEND_CHANNELS = {"email": 40, "web": 45, "chat": 15}  # nobody answers the phone at the weekend


@dataclass(frozen=True)
class Profile:
    key: str
    name: str
    id_format: str  # formatted with yymmdd and n (the n-th case received that day)
    customer_format: str
    customer_range: tuple[int, int]
    agents: dict[str, float]  # agent -> weight
    new_agents: dict[str, date]  # agent -> first day they take cases
    languages: dict[str, float]
    weekday_cases: tuple[int, int]
    notes: dict[str, tuple[str, ...]]
    refusal_reasons: dict[str, tuple[str, ...]]
    extension_reasons: tuple[str, ...]
    slash_dates: float  # share of cases whose dates are typed differently
    short_bools: float


def pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class Customers:
    """Customer refs: mostly new people, some returning, but never for the same type twice.

    Repeats of the same type are a check of their own (repeat.same_request), so background customers
    only come back for a different kind of request; planted.py plants the real repeats.
    """

    def __init__(self, rng: random.Random, profile: Profile) -> None:
        self.rng, self.profile = rng, profile
        self.types: dict[str, set[str]] = {}

    def new(self) -> str:
        low, high = self.profile.customer_range
        while (ref := self.profile.customer_format.format(self.rng.randint(low, high))) in self.types:
            pass
        self.types[ref] = set()
        return ref

    def reserve(self, ref: str, request_type: str) -> str:
        self.types.setdefault(ref, set()).add(request_type)
        return ref

    def pick(self, request_type: str) -> str:
        if self.types and self.rng.random() < 0.1:
            refs = list(self.types)
            for ref in self.rng.sample(refs, min(5, len(refs))):
                if request_type not in self.types[ref]:
                    return self.reserve(ref, request_type)
        return self.reserve(self.new(), request_type)


class CaseIds:
    """Ids are `<prefix>-<yymmdd>-<n>`: planted cases claim theirs first, background takes the rest."""

    def __init__(self, profile: Profile) -> None:
        self.profile, self.taken = profile, set[str]()
        self.next_n: dict[date, int] = {}

    def claim(self, case_id: str) -> str:
        if case_id in self.taken:
            raise ValueError(f"case id {case_id} planted twice")
        self.taken.add(case_id)
        return case_id

    def next(self, day: date) -> str:
        while True:
            n = self.next_n.get(day, 0) + 1
            self.next_n[day] = n
            case_id = self.profile.id_format.format(yymmdd=day.strftime("%y%m%d"), n=n)
            if case_id not in self.taken:
                return self.claim(case_id)


def cases_on(rng: random.Random, profile: Profile, day: date) -> int:
    if is_working_day(day):
        return rng.randint(*profile.weekday_cases)
    return rng.randint(2, 6) if day.weekday() == 5 else rng.randint(1, 4)


def background(rng: random.Random, profile: Profile, ids: CaseIds, customers: Customers,
               first: date, last: date) -> list[Case]:
    cases, day = [], first
    while day <= last:
        for _ in range(cases_on(rng, profile, day)):
            cases.append(background_case(rng, profile, ids.next(day), customers, day))
        day += timedelta(days=1)
    return cases


def background_case(rng: random.Random, profile: Profile, case_id: str, customers: Customers,
                    day: date) -> Case:
    request_type = pick(rng, TYPE_WEIGHTS)
    channel = pick(rng, WEEKDAY_CHANNELS if is_working_day(day) else WEEKEND_CHANNELS)
    agents = {a: w for a, w in profile.agents.items() if day >= profile.new_agents.get(a, day)}
    case = Case(
        case_id=case_id, received_on=day, request_type=request_type, channel=channel,
        subject=customers.pick(request_type), agent=pick(rng, agents), language=pick(rng, profile.languages),
        summary=rng.choice(profile.notes[request_type]),
        date_style="slash" if rng.random() < profile.slash_dates else "dash",
        bool_style="short" if rng.random() < profile.short_bools else "long",
    )
    if channel == "phone" and rng.random() < 0.12:
        case.received_time = time(rng.randint(8, 17), rng.choice((0, 5, 10, 15, 20, 30, 40, 45, 50)))
    if request_type in ("complaint", "erasure") and rng.random() < 0.3:
        case.priority = "Haute"
    outcome = pick(rng, OUTCOME_WEIGHTS[request_type])
    if request_type in PROCESSOR_HANDLED:
        handle_at_processor(rng, case)
    else:
        handle_via_controller(rng, profile, case, outcome)
    return case


def within_month(received: date, day: date) -> date:
    """Keep same-month follow-ups in the month, so a clean case never waits over a month end."""
    return min(day, month_bounds(received.strftime("%Y-%m"))[1])


def handle_at_processor(rng: random.Random, case: Case) -> None:
    received = case.received_on
    case.outcome = "fulfilled"
    if case.request_type == "marketing_opt_out":
        case.suppressed_on = within_month(received, add_working_days(received, rng.choice((0, 0, 1, 1, 2))))
        case.responded_on = case.suppressed_on + timedelta(days=rng.choice((0, 0, 1, 2, 3)))
    elif case.request_type == "consent_withdrawal":
        case.suppressed_on = received  # GDPR Art. 7(3): effective at once
        case.responded_on = received + timedelta(days=rng.randint(0, 4))
    else:
        # A clean processor verifies identity before changing data (rectification: the profile's
        # verify_identity_types); the draw stays, so the other cases' values do not move.
        verified = rng.random() < 0.6
        case.identity_verified = True if verified or case.request_type in VERIFY_TYPES else None
        case.responded_on = received + timedelta(days=rng.randint(1, 8))
        case.outcome = "fulfilled" if rng.random() < 0.9 else "no_data"


def handle_via_controller(rng: random.Random, profile: Profile, case: Case, outcome: str) -> None:
    received = case.received_on
    case.outcome = outcome
    case.forwarded_on = within_month(received, add_working_days(received, rng.choice((0, 0, 1))))
    if case.request_type in ESCALATE_TYPES or outcome in ESCALATE_OUTCOMES:
        case.escalated_on = within_month(received, add_working_days(received, rng.choice((0, 1))))
        case.escalated_to = escalation_target(rng, case.request_type)
    case.responded_on = received + timedelta(days=rng.randint(6, 20))
    if case.request_type in ("access", "portability", "erasure"):
        ask_identity(rng, case)
    else:
        verified = rng.random() < 0.5
        case.identity_verified = True if verified or case.request_type in VERIFY_TYPES else None
    if outcome in ("refused", "partially_fulfilled", "identity_not_confirmed"):
        case.refusal_reason = rng.choice(profile.refusal_reasons[outcome])
        case.complaint_right_notified = True
        case.judicial_remedy_notified = True


def escalation_target(rng: random.Random, request_type: str) -> str:
    targets = {"erasure": {"legal": 6, "dpo": 4}, "objection": {"dpo": 7, "legal": 3},
               "complaint": {"dpo": 8, "controller": 2}}
    return pick(rng, targets.get(request_type, {"legal": 1}))


def ask_identity(rng: random.Random, case: Case) -> None:
    """Identity matters for disclosure; a quarter of the requests need an ID check first."""
    case.identity_verified = True
    if case.outcome == "identity_not_confirmed":
        case.id_requested_on = case.received_on + timedelta(days=rng.randint(0, 2))
        case.identity_verified = False
        case.responded_on = case.received_on + timedelta(days=rng.randint(15, 22))
    elif rng.random() < (0.5 if case.request_type == "portability" else 0.25):
        case.id_requested_on = case.received_on + timedelta(days=rng.randint(0, 2))
        case.id_received_on = case.id_requested_on + timedelta(days=rng.randint(1, 5))
        case.responded_on = max(case.responded_on or case.received_on, case.id_received_on + timedelta(days=2))
