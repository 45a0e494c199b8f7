"""Readable one-claim summaries of results and dead letters, for `claim-edit results` and the demo.

Shows opaque ids, codes, modifiers and the finding messages; never patient ids, NPIs or diagnosis codes.
"""

from __future__ import annotations

from rich.text import Text

from contracts import ClaimEdited, DeadLetter

OUTCOME_STYLE = {"pass": "green", "review": "yellow", "deny": "red"}


def result_text(result: ClaimEdited) -> Text:
    text = Text()
    text.append(f"{result.outcome.upper():6}", style=f"bold {OUTCOME_STYLE.get(result.outcome, '')}")
    text.append(f" claim {result.claim_id}  event {result.event_id}")
    if result.source_stream_id:
        text.append(f"  (entry {result.source_stream_id})", style="dim")
    for finding in result.findings:
        lines = ",".join(str(n) for n in finding.lines)
        text.append(f"\n    line {lines} {finding.code}", style="bold")
        if finding.modifier:
            text.append(f"-{finding.modifier}", style="bold")
        text.append(f"  {finding.severity}  {finding.edit}: ", style=OUTCOME_STYLE.get(finding.severity, ""))
        text.append(finding.message)
    return text


def dead_letter_text(letter: DeadLetter) -> Text:
    text = Text()
    text.append("DEAD  ", style="bold magenta")
    text.append(f" entry {letter.stream_id}  reason {letter.reason}  (delivered {letter.delivery_count}x, {letter.payload_bytes} bytes)")
    text.append(f"\n    {letter.detail}", style="dim")
    return text
