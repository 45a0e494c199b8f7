"""Where claim history is kept: in memory for `check` and `replay`, in Redis for the worker (docs/history.md)."""
