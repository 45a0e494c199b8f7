"""Replay recorded claim events through a candidate engine and diff the findings (`claim-edit replay`).

- `sources`: events from a JSONL file or a stream range (XRANGE pages, read-only)
- `baseline`: recorded results (file or stream), indexed compactly by event id / claim id
- `partitioned`: a partitioned recording (docs/scale-out.md), partition by partition, each against its own results
- `diff`: findings compared by a stable key (edit, lines, code, severity)
- `runner`: the loop, the tally, the spool of changed claims, republishing
- `report`: table, json, junit and markdown renderers
"""
