"""Run pyx12's implementation-guide validation over a prepared 837P, collecting claims and the 999 on the way."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import pyx12.errors
import pyx12.params
import pyx12.x12n_document

from workers.x12.collect import Collector
from workers.x12.drafts import ClaimDraft
from workers.x12.envelope import PROFESSIONAL, VALIDATED_AS, Prepared, X12FileError


@dataclass(frozen=True)
class GuideError:
    """One error pyx12 found: where (interchange/group/transaction, position in the transaction) and what."""

    level: str
    """'interchange', 'group', 'transaction' or 'segment'."""
    interchange: str
    group: str | None
    transaction: str | None
    st_position: int | None
    file_segment: int
    seg_id: str
    code: str
    message: str
    element: bool = False
    """An element's error (a bad code value, a length) rather than a segment's (missing, unexpected, repeated)."""


@dataclass
class Validated:
    claims: list[ClaimDraft]
    errors: list[GuideError]
    ack: str
    transactions: dict[tuple[str, str, str], int] = field(default_factory=dict)
    """(ISA13, GS06, ST02) -> the ST segment's number in the file."""


def _quiet_pyx12() -> None:
    # pyx12 logs every error with the segment's values: no patient data in our logs, and we report the errors ourselves.
    logger = logging.getLogger("pyx12")
    logger.setLevel(logging.CRITICAL + 1)
    logger.propagate = False
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())


def validate(prepared: Prepared) -> Validated:
    _quiet_pyx12()
    collector = Collector()
    ack = io.StringIO()
    errors_json = io.StringIO()
    try:
        # ParamsBase: the defaults only. pyx12.params.params() would also read ~/.pyx12.conf.xml and <prefix>/etc/pyx12.conf.xml,
        # so the same file could validate differently on two machines.
        pyx12.x12n_document.x12n_document(pyx12.params.ParamsBase(), io.StringIO(prepared.text), ack, None, None, errors_json,
                                          callback=collector)
    except (pyx12.errors.X12Error, pyx12.errors.EngineError) as error:
        raise X12FileError(f"the validator stopped: {error}") from None
    if collector.failure is not None:
        raise X12FileError(f"internal error while mapping: {collector.failure}")
    transactions = {(c.envelope.interchange, c.envelope.group, c.envelope.transaction): c.envelope.transaction_position
                    for c in collector.claims}
    errors = list(_errors(json.loads(errors_json.getvalue() or "{}"), transactions))
    return Validated(collector.claims, errors, restore_versions(ack.getvalue(), prepared.group_versions), transactions)


def _errors(document: dict[str, Any], transactions: dict[tuple[str, str, str], int]) -> Any:
    for isa in document.get("interchanges", []):
        icn = isa.get("isa_trn_set_id") or ""
        for error in isa.get("errors", []):
            yield GuideError("interchange", icn, None, None, None, 1, "ISA", error["err_cde"], error["err_str"])
        for gs in isa.get("groups", []):
            gcn = gs.get("gs_control_num") or ""
            for error in gs.get("errors", []):
                yield GuideError("group", icn, gcn, None, None, gs.get("cur_line") or 0, "GS", error["err_cde"], error["err_str"])
            for st in gs.get("transactions", []):
                tcn = st.get("trn_set_control_num") or ""
                start = transactions.get((icn, gcn, tcn))
                for error in st.get("errors", []):
                    yield GuideError("transaction", icn, gcn, tcn, None, start or st.get("cur_line") or 0, "ST",
                                     error["err_cde"], error["err_str"])
                for seg in st.get("segments", []):
                    position = seg.get("seg_count")
                    # pyx12's cur_line is where it noticed (a missing segment is noticed at the next one); seg_count is
                    # the segment it is about, counted from ST: prefer it when the transaction's ST is known.
                    number = start + position - 1 if start and position else seg.get("cur_line") or 0
                    seg_id = seg.get("seg_id") or ""
                    for e in seg.get("errors", []):
                        yield GuideError("segment", icn, gcn, tcn, position, number, seg_id, e["err_cde"], e["err_str"])
                    for element in seg.get("elements", []):
                        for e in element.get("errors", []):
                            yield GuideError("segment", icn, gcn, tcn, position, number, seg_id, e["err_cde"],
                                             f"{_element_name(seg, element)}: {e['err_str']}", element=True)


def _element_name(seg: dict[str, Any], element: dict[str, Any]) -> str:
    """'SV101-2 (Procedure Code)' from pyx12's element positions."""
    name = f"{seg.get('seg_id') or ''}{element.get('ele_pos') or 0:02d}"
    if element.get("subele_pos"):
        name += f"-{element['subele_pos']}"
    return f"{name} ({element['name']})" if element.get("name") else name


def restore_versions(ack: str, group_versions: dict[str, str]) -> str:
    """Three corrections to pyx12's 999, segment by segment.

    - AK1-03/AK2-03 echo GS08/ST03: say A2 where the file said A2 (it was validated against the A1 map).
    - AK901 is P (partially accepted) when some but not all transaction sets were accepted; pyx12 4.0.0 writes R.
    - A TA1 (interchange acknowledgment, written when ISA14 is 1) goes right after the ISA, before any GS;
      pyx12 4.0.0 writes it after the last GE.
    """
    if len(ack) < 106:
        return ack
    ele, term = ack[3], ack[105]
    out: list[str] = []
    received = VALIDATED_AS
    for segment in ack.split(term):
        fields = segment.strip("\r\n").split(ele)
        if fields[0] == "AK1" and len(fields) > 3:
            received = group_versions.get(fields[2], VALIDATED_AS)
        if fields[0] in ("AK1", "AK2") and len(fields) > 3 and fields[3] == VALIDATED_AS and received in PROFESSIONAL:
            out.append(segment[: segment.rindex(VALIDATED_AS)] + received)
        elif fields[0] == "AK9" and len(fields) > 4 and fields[1] == "R" and fields[4].isdigit() and fields[3].isdigit() \
                and 0 < int(fields[4]) < int(fields[3]):
            out.append(segment.replace(f"AK9{ele}R{ele}", f"AK9{ele}P{ele}", 1))
        else:
            out.append(segment)
    ta1 = [segment for segment in out if segment.strip("\r\n").startswith(f"TA1{ele}")]
    if ta1 and out and out[0].startswith("ISA"):
        rest = [segment for segment in out[1:] if segment not in ta1]
        out = [out[0], *ta1, *rest]
    return term.join(out)
