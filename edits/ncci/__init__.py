"""NCCI edit family: edits that read the CMS National Correct Coding Initiative tables (MUE, add-on codes, PTP)."""
