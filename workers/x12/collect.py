"""The callback pyx12's validator calls per segment: it groups the segments the mapping needs into `ClaimDraft`s."""

from __future__ import annotations

import datetime as dt
from typing import Any

from workers.x12.drafts import ClaimDraft, Envelope, LineDraft, Position, loop_of

_NO_ENVELOPE = Envelope("", "", "", "", "", None, 0, 0, 0)


def interchange_time(date: str, time: str) -> dt.datetime | None:
    """ISA09 (YYMMDD) and ISA10 (HHMM) as UTC: X12 envelopes carry no time zone (see docs/x12.md)."""
    try:
        return dt.datetime.strptime(f"20{date}{time}", "%Y%m%d%H%M").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


class Collector:
    """Called once per segment, in file order, with the map node the segment matched (or the previous one on an error)."""

    def __init__(self) -> None:
        self.claims: list[ClaimDraft] = []
        self.failure: str | None = None
        self._envelope = _NO_ENVELOPE
        self._isa: tuple[str, str, str, dt.datetime | None, int] = ("", "", "", None, 0)
        self._gs: tuple[str, int] = ("", 0)
        self._billing_npi: str | None = None
        self._member_id: str | None = None
        self._payer_id: str | None = None
        self._patient: list[str] | None = None
        self._claim: ClaimDraft | None = None
        self._line: LineDraft | None = None

    def __call__(self, seg: Any, src: Any, node: Any, valid: bool) -> None:
        # pyx12 logs and swallows a callback's exception: keep the first one to report it ourselves.
        try:
            self._segment(seg, src, node)
        except Exception as error:
            if self.failure is None:
                self.failure = f"segment {src.get_cur_line()}: {type(error).__name__}: {error}"

    def _segment(self, seg: Any, src: Any, node: Any) -> None:
        seg_id: str = seg.get_seg_id() or ""
        number: int = src.get_cur_line()
        if seg_id in ("ISA", "GS", "ST", "SE", "GE", "IEA", "HL"):
            self._envelope_segment(seg, seg_id, number)
            return
        loop = loop_of(node) if node is not None else ""
        position = Position(number, seg_id, self._envelope.transaction, src.get_seg_count())
        if seg_id == "CLM":
            self._open_claim(seg, position)
        elif self._claim is None:
            self._header_segment(seg, seg_id, loop)
        else:
            self._claim.last_st_position = src.get_seg_count()
            self._claim_segment(seg, seg_id, loop, position, self._claim)

    def _envelope_segment(self, seg: Any, seg_id: str, number: int) -> None:
        """ISA/GS/ST set the envelope claims carry; SE/GE/IEA and every HL end the current claim."""
        if seg_id == "ISA":
            self._isa = (seg.get_value("ISA13") or "", (seg.get_value("ISA06") or "").strip(), (seg.get_value("ISA08") or "").strip(),
                         interchange_time(seg.get_value("ISA09") or "", seg.get_value("ISA10") or ""), number)
        elif seg_id == "GS":
            self._gs = (seg.get_value("GS06") or "", number)
        elif seg_id == "ST":
            control, sender, receiver, at, isa_at = self._isa
            self._envelope = Envelope(control, self._gs[0], seg.get_value("ST02") or "", sender, receiver, at, isa_at, self._gs[1], number)
            self._billing_npi = self._member_id = self._payer_id = None
            self._patient = None
        else:
            self._close_claim()
        if seg_id == "HL":
            level = seg.get_value("HL03")
            if level == "20":
                self._billing_npi = None
            if level in ("20", "22"):
                self._member_id = self._payer_id = None
                self._patient = None
            elif level == "23":
                self._patient = ["", "", "", "", ""]

    def _header_segment(self, seg: Any, seg_id: str, loop: str) -> None:
        """Segments before the first CLM of a billing provider / subscriber / patient: the context claims inherit."""
        if seg_id == "NM1":
            qualifier = seg.get_value("NM101")
            value = seg.get_value("NM109")
            if qualifier == "85" and loop == "2010AA":
                self._billing_npi = value
            elif qualifier == "IL" and loop == "2010BA":
                self._member_id = value
            elif qualifier == "PR" and loop == "2010BB":
                self._payer_id = value
            elif qualifier == "QC" and self._patient is not None:
                self._patient[1:3] = [(seg.get_value("NM103") or "").upper(), (seg.get_value("NM104") or "").upper()]
        elif seg_id == "PAT" and self._patient is not None:
            self._patient[0] = seg.get_value("PAT01") or ""
        elif seg_id == "DMG" and self._patient is not None and loop == "2010CA":
            self._patient[3:5] = [seg.get_value("DMG02") or "", seg.get_value("DMG03") or ""]

    def _open_claim(self, seg: Any, position: Position) -> None:
        self._close_claim()
        self._claim = ClaimDraft(
            position=position,
            envelope=self._envelope,
            claim_id=seg.get_value("CLM01") or "",
            total_charge=seg.get_value("CLM02") or "",
            facility_code=seg.get_value("CLM05-1") or "",
            frequency_code=seg.get_value("CLM05-3") or "",
            billing_npi=self._billing_npi,
            member_id=self._member_id,
            payer_id=self._payer_id,
            patient_key=tuple(self._patient) if self._patient is not None else None,
            first_st_position=position.st_position or 0,
            last_st_position=position.st_position or 0,
        )

    def _claim_segment(self, seg: Any, seg_id: str, loop: str, position: Position, claim: ClaimDraft) -> None:
        if seg_id == "LX":
            self._line = LineDraft(position=position, lx=seg.get_value("LX01") or "")
            claim.lines.append(self._line)
            return
        line = self._line
        if seg_id == "SV1" and line is not None:
            line.sv1 = position
            line.qualifier = seg.get_value("SV101-1") or ""
            line.code = seg.get_value("SV101-2") or ""
            line.modifiers = tuple(m for i in range(3, 7) if (m := seg.get_value(f"SV101-{i}")))
            line.charge = seg.get_value("SV102") or ""
            line.unit_basis = seg.get_value("SV103") or ""
            line.quantity = seg.get_value("SV104") or ""
            line.place_of_service = seg.get_value("SV105") or ""
        elif seg_id == "DTP" and seg.get_value("DTP01") == "472":
            date = (seg.get_value("DTP02") or "", seg.get_value("DTP03") or "")
            if line is not None:
                line.date = date
            else:
                claim.claim_date = date
        elif seg_id == "NM1" and seg.get_value("NM101") == "82":
            if line is not None and loop == "2420A":
                line.rendering_npi = seg.get_value("NM109")
            elif line is None and loop == "2310B":
                claim.rendering_npi = seg.get_value("NM109")
        elif seg_id == "REF" and line is None and seg.get_value("REF01") == "F8":
            claim.original_claim_id = seg.get_value("REF02")
        elif seg_id == "HI" and line is None:
            for index in range(1, 13):
                qualifier = seg.get_value(f"HI{index:02d}-1")
                if qualifier:
                    claim.diagnoses.append((position, qualifier, seg.get_value(f"HI{index:02d}-2") or ""))

    def _close_claim(self) -> None:
        if self._claim is not None:
            self.claims.append(self._claim)
        self._claim = None
        self._line = None
