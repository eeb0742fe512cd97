"""`oversight sample ...`: plan, draw, show, verify, review, evaluate spot-check samples (wiring only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import duckdb
import typer

from commands.common import DocFormat, Format, dumps, emit, fail, run
from spotchecks.agreement import record_second_review
from spotchecks.commitments import commit_seed
from spotchecks.draw import STRATA_COLUMNS, Allocation, Method
from spotchecks.errors import SpotCheckError
from spotchecks.evaluate import Evaluation, evaluate_sample
from spotchecks.plan import Model, plan_sample
from spotchecks.population import Filters
from spotchecks.queries import answers, get_sample, list_samples, sample_items
from spotchecks.review import DEVIATION_CAUSES, ITEMS, items_for, record_review, record_unable, rubric_clauses
from spotchecks.samples import DrawResult, NotInPopulation, draw_sample, enlarge_sample, replace_case
from spotchecks.seeds import check_seed
from spotchecks.signoff import sign_off
from spotchecks.topup import top_up
from spotchecks.verify import verify_sample
from store.identity import User

sample_app = typer.Typer(help="Spot checks: plan a sample size, draw cases reproducibly, review and evaluate them.",
                         no_args_is_help=True)

Fmt = Annotated[DocFormat, typer.Option("--format", help="Output format.")]


@sample_app.command("plan")
def plan_command(
    confidence: Annotated[str, typer.Option(help="Confidence level, e.g. 0.95 or 95%.")],
    tolerable: Annotated[str, typer.Option(help="Tolerable deviation rate, e.g. 0.05 or 5%.")],
    expected: Annotated[str, typer.Option(help="Expected deviation rate.")] = "0",
    population: Annotated[int | None, typer.Option(help="Number of cases N (needed for hypergeometric).")] = None,
    model: Annotated[Model, typer.Option(help="Sampling model.")] = Model.binomial,
    size: Annotated[int | None, typer.Option(help="A fixed size: say what it can conclude.")] = None,
    format: Fmt = DocFormat.text,
) -> None:
    """Compute how many cases to review (attribute sampling, AICPA Appendix A).

    Example: oversight sample plan --confidence 0.95 --tolerable 0.05 --expected 0.01
    """
    try:
        plan = plan_sample(confidence, tolerable, expected, population=population, model=model, size=size)
    except SpotCheckError as exc:
        fail(str(exc))
    if format is DocFormat.json:
        typer.echo(dumps(plan.as_dict()))
        return
    on = f" of {plan.population}" if plan.population else ""
    typer.echo(f"n = {plan.n}{on} cases ({plan.model}; {plan.confidence:.0%} confidence, tolerable "
               f"{plan.tolerable:.2%}, expected {plan.expected:.2%} → {plan.expected_deviations} expected "
               "deviation(s)).")
    if plan.max_deviations >= 0:
        typer.echo(f"Rely on the processor's handling if at most {plan.max_deviations} case(s) deviate.")
    for note in plan.notes:
        typer.echo(note)


def _draw_text(result: DrawResult) -> None:
    typer.echo(f"Drew sample {result.sample_id}: {len(result.random_part)} of {result.population.size} cases of "
               f"{result.processor} {result.population.describe()} (submission "
               f"{', '.join(map(str, result.population.submission_ids))}), "
               f"{result.design.describe()}; {result.population.filters.describe()}.")
    typer.echo(f"Seed: {result.seed}" + (" (drawn from the OS)" if result.seed_generated else "")
               + " — anyone can re-draw this sample with it: oversight sample verify " + result.sample_id)
    typer.echo(f"Population fingerprint (SHA-256 of the sorted case ids): {result.population.fingerprint}")
    if result.key_items:
        typer.echo(f"Key items ({result.key_items}): {len(result.key_item_ids)} — "
                   f"{', '.join(result.key_item_ids) or 'none'}")
    typer.echo("Cases to review, in rank order: " + ", ".join(p.case_id for p in result.random_part))
    for note in result.notes:
        typer.echo(note)


@sample_app.command("draw")
def draw_command(
    ctx: typer.Context,
    processor: Annotated[str, typer.Option(help="The processor whose cases to sample.")],
    period: Annotated[list[str], typer.Option(help="The report's month, YYYY-MM; repeat it to draw from the union "
                                                   "of several months' reports (each case once).")],
    size: Annotated[int | None, typer.Option(help="Number of cases (instead of planning it).")] = None,
    confidence: Annotated[str | None, typer.Option(help="Plan the size: confidence, e.g. 0.95.")] = None,
    tolerable: Annotated[str | None, typer.Option(
        help="Plan the size: tolerable deviation rate for every rubric item (default: the contract profile's "
             "[tolerable_rates], the size planned for the most demanding item that applies).")] = None,
    expected: Annotated[str, typer.Option(help="Plan the size: expected deviation rate.")] = "0",
    model: Annotated[Model, typer.Option(help="Sampling model of the plan.")] = Model.binomial,
    method: Annotated[Method, typer.Option(help="Selection method.")] = Method.random,
    by: Annotated[str | None, typer.Option(help=f"Stratify by: {', '.join(STRATA_COLUMNS)}.")] = None,
    allocation: Annotated[Allocation, typer.Option(help="Stratified allocation.")] = Allocation.proportional,
    per: Annotated[int | None, typer.Option(help="Quota: cases per agent.")] = None,
    key_items: Annotated[str | None, typer.Option(
        help="Cases always included (a census): major (every case with a critical or major exception in the latest "
             "checks; 'breaches' is accepted as its old name) or refusals (refused, partially fulfilled or "
             "identity not confirmed).")] = None,
    seed: Annotated[str | None, typer.Option(help="The seed (default: a random one from the OS).")] = None,
    seed_reuse_reason: Annotated[str | None, typer.Option(
        help="Why a seed already used for another population is used again (required then).")] = None,
    request_type: Annotated[list[str] | None, typer.Option(help="Only these request types (repeatable).")] = None,
    outcome: Annotated[list[str] | None, typer.Option(help="Only these outcomes (repeatable).")] = None,
    format: Fmt = DocFormat.text,
) -> None:
    """Draw a reproducible sample from a processor's current report for a period, or for several periods.

    Example: oversight sample draw --processor "Belcall Antwerpen BV" --period 2026-10 --confidence 0.95 --tolerable 5%
    Example: oversight sample draw --processor "Belcall Antwerpen BV" --period 2026-09 --period 2026-10 --size 40
    """
    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        result = draw_sample(con, user, processor=processor, period=period, size=size, confidence=confidence,
                             tolerable=tolerable, expected=expected, model=model, method=method, by=by,
                             allocation=allocation, per=per, key_items=key_items, seed=seed,
                             seed_reuse_reason=seed_reuse_reason,
                             filters=Filters(tuple(request_type or ()), tuple(outcome or ())))
        if format is DocFormat.json:
            typer.echo(dumps(result.as_dict()))
        else:
            _draw_text(result)

    run(ctx, work)


LIST_COLUMNS = ["sample_id", "processor", "period", "method", "random_items", "key_items_count", "reviewed",
                "replacements", "seed", "drawn_at", "drawn_by"]


@sample_app.command("list")
def list_command(
    ctx: typer.Context,
    processor: Annotated[str | None, typer.Option(help="Only this processor.")] = None,
    period: Annotated[str | None, typer.Option(help="Only this month, YYYY-MM.")] = None,
    format: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
) -> None:
    """List the samples, newest first, with how many cases are reviewed.

    Example: oversight sample list --processor "Belcall Antwerpen BV"
    """
    run(ctx, lambda con, user, path: emit(list_samples(con, processor, period), format,
                                            LIST_COLUMNS + ([] if format is Format.text else ["fingerprint"])))


ITEM_COLUMNS = ["position", "case_id", "part", "stratum", "status", "answered", "deviations", "replaces",
                "replaced_by", "replaced_because"]


@sample_app.command("show")
def show_command(ctx: typer.Context, sample_id: Annotated[str, typer.Argument(help="The sample id.")],
                 format: Fmt = DocFormat.text) -> None:
    """Show a sample: how it was drawn and its cases with their review progress.

    Example: oversight sample show S-2026-0001
    """
    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        sample, items = get_sample(con, sample_id), sample_items(con, sample_id)
        if format is DocFormat.json:
            typer.echo(dumps({**sample, "items": items, "answers": answers(con, sample_id),
                              "seed_check": check_seed(con, sample_id).as_dict()}))
            return
        active = [i for i in items if i["status"] == "active"]
        done = sum(bool(i["complete"]) for i in active)
        periods = ", ".join(sample["periods"])  # type: ignore[arg-type]
        submissions = ", ".join(map(str, sample["submission_ids"]))  # type: ignore[call-overload]
        typer.echo(f"Sample {sample_id}: {sample['processor']} {periods} (submission {submissions}), "
                   f"{sample['method']}, drawn {sample['drawn_at']:%Y-%m-%d %H:%M} UTC "
                   f"by {sample['drawn_by']}.")
        typer.echo(f"Seed: {sample['seed']}; population {sample['population_size']} cases, fingerprint "
                   f"{sample['fingerprint']}.")
        seed = check_seed(con, sample_id)
        typer.echo(("Seed marked: " if seed.marked else "") + seed.describe())
        typer.echo(f"{done} of {len(active)} cases fully reviewed; "
                   f"{sum(i['status'] == 'replaced' for i in items)} replaced.")
        emit(items, Format.text, ITEM_COLUMNS)

    run(ctx, work)


@sample_app.command("verify")
def verify_command(ctx: typer.Context, sample_id: Annotated[str, typer.Argument(help="The sample id.")],
                   format: Fmt = DocFormat.text) -> None:
    """Recompute a sample from its seed and population; exit 1 when it does not match.

    Example: oversight sample verify S-2026-0001
    """
    check = run(ctx, lambda con, user, path: verify_sample(con, sample_id))
    if format is DocFormat.json:
        typer.echo(dumps(check.as_dict()))
    elif check.matches:
        typer.echo(f"Sample {sample_id} matches: recomputed from its seed, the same cases with the same ranks; "
                   f"population fingerprint {check.fingerprint_stored} unchanged; still the current report.")
    else:
        typer.echo(f"Sample {sample_id} does not match:\n" + "\n".join(f"- {p}" for p in check.problems), err=True)
    if not check.matches:
        raise typer.Exit(1)


@sample_app.command("review")
def review_command(
    ctx: typer.Context,
    sample_id: Annotated[str, typer.Argument(help="The sample id.")],
    case_id: Annotated[str, typer.Argument(help="A case of the sample.")],
    item: Annotated[str | None, typer.Argument(help=f"Rubric item: {', '.join(ITEMS)}.")] = None,
    answer: Annotated[str | None, typer.Argument(
        help="yes, no, na (n/a: not applicable; needs a reason where the item applies) or unable (could not be "
             "tested: a deviation).")] = None,
    comment: Annotated[str | None, typer.Option(help="What was found (required for no, unable and na).")] = None,
    cause: Annotated[str | None, typer.Option(
        help=f"Of a no, the cause: {', '.join(DEVIATION_CAUSES)} (ISA 530 ¶12).")] = None,
    unable: Annotated[str | None, typer.Option(
        help="The case could not be tested, and why (e.g. \"case file not supplied\"): every item that applies "
             "is answered unable.")] = None,
    format: Fmt = DocFormat.text,
) -> None:
    """Record a reviewer's answer for one rubric item of one sampled case.

    Example: oversight sample review S-2026-0001 BC-261007-05 timely no --comment "answered on day 41" --cause training
    Example: oversight sample review S-2026-0001 BC-261007-05 --unable "case file not supplied"
    """
    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        if unable is not None:
            recorded = record_unable(con, user, sample_id, case_id, unable)
            typer.echo(f"Recorded for {sample_id} case {case_id}: unable for {len(recorded)} item(s) "
                       f"({', '.join(r.item_id for r in recorded)}), each a deviation: {unable}.")
            return
        if item is None or answer is None:
            fail("Give the rubric item and the answer (oversight sample review S CASE ITEM ANSWER), or --unable "
                 "\"why\" for a case that could not be tested.")
        review = record_review(con, user, sample_id, case_id, item, answer, comment, cause)
        sample = get_sample(con, sample_id)
        clause = rubric_clauses(con, str(sample["processor"]))[str(item)]
        asked = items_for(con, sample_id, case_id)
        done = sum(str(a["item_id"]) in asked for a in answers(con, sample_id, case_id))
        if format is DocFormat.json:
            typer.echo(dumps({**review.__dict__, "answer": review.answer.value, "clause": clause,
                              "items_answered": done, "items": len(asked), "applicable_items": asked}))
            return
        typer.echo(f"Recorded for {sample_id} case {case_id}: {item} = {review.answer.value}"
                   + (f" (a deviation, logged against {clause})" if review.answer.value in ("no", "unable")
                      else "")
                   + f". {done} of the {len(asked)} items that apply to this case answered.")

    run(ctx, work)


def _evaluation_text(ev: Evaluation) -> None:
    periods = ", ".join(ev.periods) or ev.period
    typer.echo(f"Sample {ev.sample_id} ({ev.processor} {periods}): {ev.cases_reviewed} of {ev.sample_size} cases "
               f"reviewed from a population of {ev.population_size}; {ev.model}, {ev.confidence:.0%} confidence; "
               f"{ev.key_items_total} key item(s), {ev.top_ups} top-up case(s), {ev.replacements} replacement(s).")
    emit([{"item": r.item, "clause": r.clause, "applicable": r.applicable, "reviewed": r.reviewed,
           "deviations": r.deviations, "upper_limit": "" if r.upper_limit is None else f"{r.upper_limit:.2%}",
           "tolerable": f"{r.tolerable:.2%}", "conclusion": r.conclusion,
           "more_needed": "" if r.more_needed is None else r.more_needed} for r in ev.items], Format.text,
         ["item", "clause", "applicable", "reviewed", "deviations", "upper_limit", "tolerable", "conclusion",
          "more_needed"])
    typer.echo(f"Verdict: {ev.verdict} (decided by {', '.join(ev.deciding_items) or 'no item'}). {ev.conclusion}")
    for a in ev.agreement:
        typer.echo(f"Second review, {a['item']}: {a['cases']} case(s), agreement "
                   f"{'' if a['agreement'] is None else format(a['agreement'], '.0%')}, kappa "
                   f"{a['note'] if a['kappa'] is None else format(a['kappa'], '.2f')}")
    if any(ev.deviations_by_cause.values()):
        typer.echo("Deviations by cause: " + ", ".join(f"{k} {v}" for k, v in ev.deviations_by_cause.items() if v))
    for note in ev.notes:
        typer.echo(note)


@sample_app.command("evaluate")
def evaluate_command(ctx: typer.Context, sample_id: Annotated[str, typer.Argument(help="The sample id.")],
                     format: Fmt = DocFormat.text) -> None:
    """Evaluate a sample per rubric item (upper limit against the item's tolerable rate); only reads.

    Example: oversight sample evaluate S-2026-0001 --format json
    """
    evaluation = run(ctx, lambda con, user, path: evaluate_sample(con, sample_id))
    if format is DocFormat.json:
        typer.echo(dumps(evaluation.as_dict()))
    else:
        _evaluation_text(evaluation)


@sample_app.command("signoff")
def signoff_command(ctx: typer.Context, sample_id: Annotated[str, typer.Argument(help="The sample id.")],
                    format: Fmt = DocFormat.text) -> None:
    """Sign the sample's evaluation off: recorded as it reads now (refused while cases are unreviewed).

    Example: oversight sample signoff S-2026-0001
    """
    from store.users_file import load_config

    users = load_config(ctx.obj.config).users  # four eyes: who else could sign off
    evaluation = run(ctx, lambda con, user, path: sign_off(con, user, sample_id, users=users))
    if format is DocFormat.json:
        typer.echo(dumps(evaluation.as_dict()))
        return
    _evaluation_text(evaluation)
    typer.echo(f"Signed off: the evaluation of {sample_id} is recorded as it reads now, with an audit event.")


@sample_app.command("second-review")
def second_review_command(
    ctx: typer.Context,
    sample_id: Annotated[str, typer.Argument(help="The sample id.")],
    case_id: Annotated[str, typer.Argument(help="A case of the sample.")],
    item: Annotated[str, typer.Argument(help=f"Rubric item: {', '.join(ITEMS)}.")],
    answer: Annotated[str, typer.Argument(help="yes, no, na or unable, as the second reviewer finds it.")],
    comment: Annotated[str | None, typer.Option(help="What was found (required for no and unable).")] = None,
) -> None:
    """Record another auditor's independent answer for a case already reviewed (agreement, Cohen's kappa).

    Example: oversight sample second-review S-2026-0001 BC-261007-05 timely yes   (as another auditor: --user)
    """
    run(ctx, lambda con, user, path: record_second_review(con, user, sample_id, case_id, {item: (answer, comment)}))
    typer.echo(f"Second review recorded for {sample_id} case {case_id}: {item} = {answer}. It never changes the "
               "evaluation; the Evaluate tab and oversight sample evaluate show the agreement.")


@sample_app.command("review-sheet")
def review_sheet_command(ctx: typer.Context, sample_id: Annotated[str, typer.Argument(help="The sample id.")],
                         out: Annotated[Path, typer.Option("--out", help="The .xlsx file to write.")]) -> None:
    """Write a sample's cases as an .xlsx sheet to answer offline (one row per case, a column per rubric item).

    Example: oversight sample review-sheet S-2026-0001 --out review.xlsx
    """
    from spotchecks.review_sheet import write_sheet

    cases = run(ctx, lambda con, user, path: write_sheet(con, sample_id, out))
    typer.echo(f"Wrote {out}: {cases} case(s) of {sample_id}; items that do not apply are marked and locked. "
               f"Answer yes, no, n/a or unable, then: oversight sample review-import {sample_id} {out}")


@sample_app.command("review-import")
def review_import_command(ctx: typer.Context, sample_id: Annotated[str, typer.Argument(help="The sample id.")],
                          file: Annotated[Path, typer.Argument(help="The answered review sheet (.xlsx).")]) -> None:
    """Read an answered review sheet back: all of it validated first, then each changed answer recorded.

    Example: oversight sample review-import S-2026-0001 review.xlsx
    """
    from spotchecks.review_sheet import read_sheet

    done = run(ctx, lambda con, user, path: read_sheet(con, user, sample_id, file))
    typer.echo(f"Recorded {done.answers} changed answer(s) for {len(done.cases)} case(s) of {sample_id}"
               + (f": {', '.join(done.cases)}." if done.cases else " (nothing changed)."))


@sample_app.command("top-up")
def top_up_command(ctx: typer.Context, sample_id: Annotated[str, typer.Argument(help="The sample id.")],
                   item: Annotated[str, typer.Argument(help=f"The rubric item: {', '.join(ITEMS)}.")],
                   size: Annotated[int | None, typer.Option(help="Cases to add (default: as many as the item "
                                                                 "needs).")] = None) -> None:
    """Draw more cases for one rubric item from the cases it applies to (same seed, next in rank order).

    Example: oversight sample top-up S-2026-0001 extension_notice
    """
    done = run(ctx, lambda con, user, path: top_up(con, user, sample_id, item, size))
    typer.echo(f"Added {len(done.case_ids)} case(s) to {sample_id} for {item} (they count only for it): "
               f"{', '.join(done.case_ids)}. Review them, then evaluate again.")


@sample_app.command("commit")
def commit_command(ctx: typer.Context,
                   seed: Annotated[str | None, typer.Option(help="The seed (default: a random one).")] = None,
                   format: Fmt = DocFormat.text) -> None:
    """Store and print the SHA-256 commitment of a seed, before the report arrives.

    Example: oversight sample commit
    """
    done = run(ctx, lambda con, user, path: commit_seed(con, user, seed))
    if format is DocFormat.json:
        typer.echo(dumps(done.as_dict()))
        return
    typer.echo(f"Seed: {done.seed} — keep it to yourself until the draw (oversight sample draw ... --seed "
               f"{done.seed}).")
    typer.echo(f"Commitment (SHA-256 of the seed): {done.commitment}, recorded {done.committed_at:%Y-%m-%d %H:%M} "
               f"UTC by {done.committed_by}.")
    for note in done.notes:
        typer.echo(note)


@sample_app.command("enlarge")
def enlarge_command(ctx: typer.Context, sample_id: Annotated[str, typer.Argument(help="The sample id.")],
                    size: Annotated[int, typer.Option(help="The new number of random cases.")]) -> None:
    """Enlarge a sample with the same seed: the cases drawn so far stay, the next in rank order join.

    Example: oversight sample enlarge S-2026-0001 --size 93
    """
    added = run(ctx, lambda con, user, path: enlarge_sample(con, user, sample_id, size))
    typer.echo(f"Added {len(added)} case(s) to {sample_id}: {', '.join(p.case_id for p in added) or 'none left'}.")


@sample_app.command("replace")
def replace_command(ctx: typer.Context, sample_id: Annotated[str, typer.Argument(help="The sample id.")],
                    case_id: Annotated[str, typer.Argument(help="The case to take out.")],
                    reason: Annotated[str, typer.Option(
                        help="Why the case is not in the population: "
                             f"{', '.join(f'{r.name} ({r.value})' for r in NotInPopulation)}.")],
                    note: Annotated[str | None, typer.Option(help="Details, e.g. the case it duplicates.")] = None,
                    ) -> None:
    """Replace a sampled case that is not in the population by the next case in rank order.

    Example: oversight sample replace S-2026-0001 BC-261007-05 --reason duplicate_entry --note "same as BC-261007-04"
    """
    done = run(ctx, lambda con, user, path: replace_case(con, user, sample_id, case_id, reason, note))
    typer.echo(f"Replaced {done.case_id} by {done.replacement} in {sample_id} ({done.reason}); "
               f"{done.replacements} replacement(s) in this sample.")
