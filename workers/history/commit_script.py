"""The commit script with history: workers/commit.py's script, plus a version check and the history change per entry.

Per entry, in this order:
1. A result of a patient whose version is no longer the one its edit read is flagged "R" and left
   alone: not marked seen, not acked, not published, history untouched. The worker edits it again
   against fresh history and commits it again (workers/commit.py). The check comes before the
   idempotency window's ZADD NX, so a re-edit is never mistaken for a duplicate event.
2. The idempotency window and the ack, exactly as without history ("D", "0", "1"; the window looked up and
   marked once per batch, the streams trimmed once per batch: workers/commit_lua.py).
3. Only when the ack counted ("1"): the result is published and the history change applied (HSET the
   rewritten claims, HDEL the removed ones, the version field set to the entry's new version, the TTL
   refreshed). So a redelivered entry, a reclaimed one or a duplicate event never changes history twice,
   and a result and its history change happen together or not at all.
The TTL is refreshed (PEXPIRE) only when the version's leading day number (the writing worker's day since
the epoch) changes: a TTL of twice --history-days loses at most a day that way, and most claims of a busy
patient skip the call.
A patient's version is read (HGET) once per run: a Lua table keeps it, and the version this run writes,
for the patient's later claims in the batch (nothing else can change the hash while the script runs).
Versions are tokens that never repeat (day, a random per-process prefix and a counter), not counters: a
counter could come back to the value an edit read after another worker's change (and a batch's later
claims of a patient expect the version its earlier claim writes, which no other commit can write).

KEYS: input stream, result stream, dead-letter stream, seen set (as workers/commit.py). The patient keys
travel in the items: they share the input stream's hash tag, so in a Cluster they are in the script's slot.
ARGV: group, maxlen, dedup window ms, the MessagePack items (8 per entry, see HistoryBatch), the blob of
stored values, the history TTL in ms.
"""

from __future__ import annotations

from workers.commit_lua import FINISH_LUA, publish_lua, window_lua

HISTORY_WRITE = """
      local writes = items[i + 7]
      if #writes > 0 then
        local set = {'', items[i + 6]}  -- the new version, and the rewritten claims: one HSET
        for w = 1, #writes, 3 do
          local length = writes[w + 2]
          if length == 0 then
            redis.call('HDEL', hkey, writes[w])
          else
            set[#set + 1] = writes[w]
            set[#set + 1] = string.sub(blob, writes[w + 1] + 1, writes[w + 1] + length)
          end
        end
        redis.call('HSET', hkey, unpack(set))
        versions[hkey] = items[i + 6]
        if string.match(version, '^%d+') ~= string.match(items[i + 6], '^%d+') then
          redis.call('PEXPIRE', hkey, ttl_ms)  -- once a day per patient is enough for a TTL of many days
        end
      end"""
"""After a published result: the entry's history change (rewritten claims in one HSET, removed ones HDEL'd,
the new version, the TTL once a day)."""

COMMIT_HISTORY_LUA = """
local group = ARGV[1]
local maxlen = ARGV[2]
local window_ms = tonumber(ARGV[3])
local items = cmsgpack.unpack(ARGV[4])
local blob = ARGV[5]
local ttl_ms = ARGV[6]
local seen = KEYS[4]
""" + window_lua(8) + """
local versions = {}  -- patient key -> its version: read once per run, then as this run writes it
local flags = {}
local n = 0
local results = 0
local letters = 0
for i = 1, #items, 8 do
  n = n + 1
  local result = items[i + 1] == 'r'
  local hkey = items[i + 4]
  local current = true
  local version = ''
  if hkey ~= '' then
    version = versions[hkey]
    if version == nil then
      version = redis.call('HGET', hkey, '') or ''
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
