"""The commit script with history: workers/commit.py's script, plus a version check and the history change per entry.

Per entry, in this order:
1. A result of a patient whose version is no longer the one its edit read is flagged "R" and left
   alone: not marked seen, not acked, not published, history untouched. The worker edits it again
   against fresh history and commits it again (workers/commit.py). The check comes before the
   idempotency window's lookup, so a re-edit is never mistaken for a duplicate event.
2. The idempotency window and the ack, exactly as without history ("D", "0", "1"; the window looked up and
   marked once per batch, the streams trimmed once per batch: workers/commit_lua.py).
3. Only when the ack counted ("1"): the result is published and the history change applied: one
   `SET key value PX ttl` of the patient's whole value (its new version first, then its claims), which
   also refreshes the TTL. So a redelivered entry, a reclaimed one or a duplicate event never changes
   history twice, and a result and its history change happen together or not at all.
A patient's version is read once per run (GETRANGE of the value's first VERSION_WIDTH bytes: the claims
never enter Lua on the read side): a Lua table keeps it, and the version this run writes, for the patient's
later claims in the batch (nothing else can change the value while the script runs). Versions are tokens
that never repeat (a random per-process prefix and a counter), not counters: a counter could come back to
the value an edit read after another worker's change (and a batch's later claims of a patient expect the
version its earlier claim writes, which no other commit can write).
Not `SET ... NX` for a patient read as empty: it would have to run before the XACK to replace the check,
and a SET that happened for an entry whose ack then did not count cannot be undone.

KEYS: input stream, result stream, dead-letter stream, seen set (as workers/commit.py). The patient keys
travel in the items: they share the input stream's hash tag, so in a Cluster they are in the script's slot.
ARGV: group, maxlen, dedup window ms, the MessagePack items (8 per entry, see HistoryBatch), the blob of
stored values, the history TTL in ms.
"""

from __future__ import annotations

from workers.commit_lua import FINISH_LUA, publish_lua, window_lua
from workers.history.redis_store import VERSION_WIDTH

HISTORY_WRITE = f"""
      local length = items[i + 7]
      if length > 0 then
        local value = string.sub(blob, items[i + 6] + 1, items[i + 6] + length)
        redis.call('SET', hkey, value, 'PX', ttl_ms)
        versions[hkey] = string.sub(value, 1, {VERSION_WIDTH})
      end"""
"""After a published result: the patient's new value (version first) in one SET that also refreshes the TTL."""

COMMIT_HISTORY_LUA = """
local group = ARGV[1]
local maxlen = ARGV[2]
local window_ms = tonumber(ARGV[3])
local items = cmsgpack.unpack(ARGV[4])
local blob = ARGV[5]
local ttl_ms = ARGV[6]
local seen = KEYS[4]
""" + window_lua(8) + f"""
local versions = {{}}  -- patient key -> its version: read once per run, then as this run writes it
local flags = {{}}
local n = 0
local results = 0
local letters = 0
for i = 1, #items, 8 do
  n = n + 1
  local result = items[i + 1] == 'r'
  local hkey = items[i + 4]
  local current = true
  if hkey ~= '' then
    local version = versions[hkey]
    if version == nil then
      version = redis.call('GETRANGE', hkey, 0, {VERSION_WIDTH - 1})  -- '' when the patient has no value
      versions[hkey] = version
    end
    current = version == items[i + 5]
  end
  if not current then
    flags[n] = 'R'
  elseif result and answered[items[i + 3]] then
    flags[n] = 'D'""" + publish_lua(HISTORY_WRITE) + """end
""" + FINISH_LUA + """
return table.concat(flags)
"""
