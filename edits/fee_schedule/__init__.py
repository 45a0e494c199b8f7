"""Fee schedule edit family: edits that read the Physician Fee Schedule payment indicators (PPRRVU)."""
