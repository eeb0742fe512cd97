"""The content of a letter to a processor, in its language (issue 15 item 5), apart from how it is drawn.

A letter is built here as plain data (`Letter`): the addressee block from the processor register, our reference, the
date, the contract, each finding with the clause quoted as the profile's clause register words it (in the letter's
language when the profile gives `[clauses.text]`), what was found in plain words with its cases counted, the due
date, what we expect, and the signature. Every sentence comes from the message catalog (i18n). The body never names
a case, let alone a data subject: the processor's own case ids are listed only in the annex (docs/letters.md).
exports/letter_docx.py and exports/letter_pdf.py draw the same Letter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from checks.profile_model import Clause, Profile
from checks.wording import fill
from exports.letter_words import what_was_found
from findings.escalation import Step
from i18n import Messages, messages
from i18n.dates import long_date, month_year

ANNEX_CASES_PER_FINDING = 1000  # a check may hold 100,000 cases; the annex lists the first ones and counts the rest


@dataclass(frozen=True)
class Section:
    """A heading, an optional clause quotation, and paragraphs (a paragraph starting with '• ' is a list item)."""

    heading: str
    paragraphs: tuple[str, ...] = ()
    quote: str | None = None
    quote_label: str | None = None


@dataclass(frozen=True)
class Annex:
    """A table after the letter: here, each finding's cases by the processor's own case id."""

    heading: str
    intro: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Letter:
    """A letter as data: what the renderers draw, in order."""

    language: str
    kind: str
    reference: str
    addressee: tuple[str, ...]
    meta: tuple[str, ...]          # our reference, date
    subject: str
    salutation: str
    opening: tuple[str, ...]
    sections: tuple[Section, ...]
    closing: tuple[str, ...]
    signature: tuple[str, ...]
    annex: Annex | None = None
    finding_ids: tuple[str, ...] = field(default_factory=tuple)
    page_label: str = "Page {page} of {pages}"  # the catalog's, filled by the PDF renderer


@dataclass(frozen=True)
class Addressee:
    """The processor as the register holds it."""

    name: str
    contacts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Signer:
    """Who signs: the user sending the letter and the role under which they may."""

    name: str
    role: str


def _severity(m: Messages, severity: str) -> str:
    words = {"critical": m.p_("severity", "critical"), "high": m.p_("severity", "high"),
             "medium": m.p_("severity", "medium"), "low": m.p_("severity", "low")}
    return words.get(severity, severity)


def _response(m: Messages, response: str) -> str:
    words = {"accepted": m.p_("response", "accepted"),
             "partially_accepted": m.p_("response", "partially accepted"),
             "disputed": m.p_("response", "disputed")}
    return words.get(response, response)


def _role(m: Messages, role: str) -> str:
    words = {"compliance_officer": m.p_("role", "Compliance officer"),
             "vendor_manager": m.p_("role", "Vendor manager")}
    return words.get(role, role)


def clause_wording(clause: Clause | None, language: str, profile: Profile) -> str | None:
    """The clause as the profile's register words it: its text in the letter's language, else its summary, with the
    contract's values in place of parameter names (issue 15: no raw placeholders in a letter)."""
    if clause is None:
        return None
    texts: dict[str, str] = getattr(clause, "text", None) or {}
    wording = texts.get(language) or clause.summary
    return fill(wording, profile.parameters) if wording else None


def _cited(clause: Clause | None, ref: str) -> str:
    cited = getattr(clause, "cited", None)
    return cited() if callable(cited) else ref


def finding_section(m: Messages, finding: dict[str, object], profile: Profile, today: date) -> Section:
    """One finding: what was found, the clause quoted, the cases counted, the severity, the due date, the response."""
    ref = str(finding["clause"])
    clause = profile.clauses.get(ref)
    count = len(finding["case_ids"])  # type: ignore[arg-type]
    month = month_year(str(finding["period"]), m.language)
    paragraphs = [what_was_found(m, str(finding["source"]), str(finding["title"]))]
    if count:
        paragraphs.append(m.n_("We found this in one of your cases from {month}.",
                               "We found this in {count} of your cases from {month}.", count, month=month))
    else:
        paragraphs.append(m._("This concerns your report for {month} as a whole.", month=month))
    paragraphs.append(m._("We rate this finding as {severity}.",
                          severity=_severity(m, str(finding["severity"]))))
    due = finding.get("due_on")
    if isinstance(due, date):
        paragraphs.append(m._("Please remedy it by {date}.", date=long_date(due, m.language)))
        if due < today:
            paragraphs.append(m._("That date has passed and the finding is not yet resolved."))
    if finding.get("response"):
        paragraphs.append(m._("Your answer so far: {response}.",
                              response=_response(m, str(finding["response"]))))
    title = clause.title if clause else ""
    return Section(heading=m._("Finding {finding_id}", finding_id=finding["finding_id"]),
                   paragraphs=tuple(paragraphs), quote=clause_wording(clause, m.language, profile),
                   quote_label=m._("Clause {clause} of the contract: {title}", clause=_cited(clause, ref),
                                   title=title) if title else m._("Clause {clause} of the contract",
                                                                  clause=_cited(clause, ref)))


def _expected(m: Messages) -> Section:
    return Section(m._("What we expect from you"), (
        m._("Please answer each finding in writing by its due date, in one of three ways:"),
        "• " + m._("accepted: you agree and send a remediation plan with the date by which it will be in place;"),
        "• " + m._("partially accepted: you say which part you accept and why you dispute the rest, with a "
                   "remediation plan for the part you accept;"),
        "• " + m._("disputed: you explain why, with your evidence, and send a remediation plan by the due date for "
                   "anything you cannot rule out."),
        m._("Under Article 28(3)(h) of the General Data Protection Regulation you make available to us all "
            "information necessary to demonstrate compliance; we may ask for the records of the cases concerned."),
    ))


def _annex(m: Messages, findings: list[dict[str, object]]) -> Annex | None:
    rows: list[tuple[str, ...]] = []
    for f in findings:
        cases = [str(c) for c in f["case_ids"]]  # type: ignore[attr-defined]
        rows += [(str(f["finding_id"]), c) for c in cases[:ANNEX_CASES_PER_FINDING]]
        if len(cases) > ANNEX_CASES_PER_FINDING:
            more = len(cases) - ANNEX_CASES_PER_FINDING
            rows.append((str(f["finding_id"]), m.n_("and one more case", "and {count} more cases", more)))
    if not rows:
        return None
    return Annex(m._("Annex: the cases concerned"),
                 m._("Each case is named by your own case reference. This letter names no data subject."),
                 (m._("Finding"), m._("Your case reference")), tuple(rows))


def _frame(m: Messages, *, kind: str, reference: str, addressee: Addressee, today: date, subject: str,
           opening: list[str], sections: list[Section], signer: Signer, findings: list[dict[str, object]],
           anchor: tuple[int, str] | None) -> Letter:
    # The head of our audit trail when the letter was made: the processor keeps it outside our systems, so a trail
    # rewritten later would no longer match it (docs/audit-trail.md).
    anchored = (m._("Audit trail: event {seq}, hash {hash}", seq=anchor[0], hash=anchor[1]),) if anchor else ()
    return Letter(
        language=m.language, kind=kind, reference=reference,
        addressee=(addressee.name, *addressee.contacts),
        meta=(m._("Our reference: {reference}", reference=reference),
              m._("Date: {date}", date=long_date(today, m.language)), *anchored),
        subject=subject, salutation=m._("Dear Sir or Madam,"), opening=tuple(opening), sections=tuple(sections),
        closing=(m._("We look forward to your answer."), m._("Yours faithfully,")),
        signature=(signer.name, _role(m, signer.role), m._("On behalf of the controller")),
        annex=_annex(m, findings), finding_ids=tuple(str(f["finding_id"]) for f in findings),
        page_label=m._("Page {page} of {pages}"))


def findings_letter(*, language: str, reference: str, addressee: Addressee, profile: Profile,
                    findings: list[dict[str, object]], today: date, signer: Signer,
                    anchor: tuple[int, str] | None = None) -> Letter:
    """The findings letter: the processor's open findings, each against its clause, and what we expect."""
    m = messages(language)
    opening = [m._("As the controller, we oversee the processing you carry out on our behalf under our contract "
                   "({contract}), as Article 28 of the General Data Protection Regulation requires.",
                   contract=profile.title or profile.name)]
    if findings:
        opening.append(m.n_("Our review of your reports and of a sample of your cases found the shortcoming below, "
                            "stated against the clause of the contract it concerns.",
                            "Our review of your reports and of a sample of your cases found the {count} "
                            "shortcomings below, each stated against the clause of the contract it concerns.",
                            len(findings)))
        sections = [finding_section(m, f, profile, today) for f in findings] + [_expected(m)]
    else:
        opening.append(m._("We have no open finding to bring to your attention at this time."))
        sections = []
    return _frame(m, kind="findings", reference=reference, addressee=addressee, today=today,
                  subject=m._("Findings of our oversight of the processing on our behalf"), opening=opening,
                  sections=sections, signer=signer, findings=findings, anchor=anchor)


def _step_text(m: Messages, step: Step, finding_id: str, answer_by: str | None) -> tuple[str, list[str]]:
    """The subject and the paragraphs of an escalation step (SCC Clause 10 for suspension and termination)."""
    if step.name == "reminder":
        return (m._("Reminder: finding {finding_id} awaits your answer", finding_id=finding_id),
                [m._("We have not received a sufficient answer to the finding below."),
                 m._("We ask you to answer it, as set out below, by {date}.", date=answer_by)])
    if step.name == "formal_notice":
        return (m._("Formal notice: finding {finding_id}", finding_id=finding_id),
                [m._("We hereby give you formal notice that you are in breach of the clause quoted below."),
                 m._("You must remedy the breach and confirm it to us in writing by {date}.", date=answer_by),
                 m._("If you do not, we may instruct you to suspend the processing under Clause 10(a) of the "
                     "standard contractual clauses until you comply.")])
    if step.name == "suspension":
        return (m._("Suspension of the processing: finding {finding_id}", finding_id=finding_id),
                [m._("You have not remedied the breach set out in our formal notice."),
                 m._("Under Clause 10(a) of the standard contractual clauses we instruct you to suspend the "
                     "processing of personal data on our behalf from the date of this letter until you comply "
                     "with the clauses or the contract is terminated."),
                 m._("If compliance is not restored by {date}, we may terminate the contract under Clause 10(b).",
                     date=answer_by)])
    return (m._("Termination of the contract: finding {finding_id}", finding_id=finding_id),
            [m._("You have not restored compliance within the time we set when we suspended the processing."),
             m._("Under Clause 10(b) of the standard contractual clauses we terminate the contract insofar as it "
                 "concerns the processing of personal data, with effect from the date of this letter."),
             m._("Under Clause 10(d), at our choice, you will delete all personal data processed on our behalf and "
                 "certify to us that you have done so, or return it all to us and delete existing copies, unless "
                 "Union or Member State law requires storage. We will tell you our choice in writing.")])


def escalation_letter(*, language: str, reference: str, addressee: Addressee, profile: Profile,
                      finding: dict[str, object], step: Step, earlier: list[tuple[date, str]], today: date,
                      answer_by: date | None, signer: Signer, anchor: tuple[int, str] | None = None) -> Letter:
    """A step of the ladder for one finding: our earlier letters about it, the step, the finding as sent."""
    m = messages(language)
    finding_id = str(finding["finding_id"])
    subject, paragraphs = _step_text(m, step, finding_id,
                                     long_date(answer_by, language) if answer_by is not None else None)
    opening = [m._("On {date} we wrote to you about finding {finding_id} (our reference {reference}).",
                   date=long_date(day, language), finding_id=finding_id, reference=ref) for day, ref in earlier]
    opening += paragraphs
    return _frame(m, kind=step.name, reference=reference, addressee=addressee, today=today, subject=subject,
                  opening=opening, sections=[finding_section(m, finding, profile, today),
                                                    *([_expected(m)] if step.answer_days is not None else [])],
                  signer=signer, findings=[finding], anchor=anchor)
