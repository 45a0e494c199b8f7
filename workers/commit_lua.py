"""Lua shared by the two commit scripts (workers/commit.py, workers/history/commit_script.py): the idempotency
window's lookup before the entries and its marks and the streams' trim after them, once per batch.

Per batch, not per entry (measured: a ZADD NX per entry was the costliest call inside the script): one ZMSCORE
looks up every result's event_id, the Lua table `answered` holds the event_ids answered so far (before this run,
or by an earlier entry of it), and one ZADD marks those this run published. A Lua table keeps a batch's two
entries with one event_id apart exactly as the ZADD NX per entry did: the first published marks it, the second
finds it. An entry whose ack did not count marks nothing, so its event_id stays unanswered.

The result and dead-letter streams are trimmed once per batch (XTRIM MAXLEN ~) instead of by each XADD: the
script runs atomically, so no client sees a stream between the XADDs and the trim.

Commands take at most CHUNK members per call: Lua's `unpack` is bounded by its C stack (8,000 values).
"""

from __future__ import annotations

CHUNK = 1000


def window_lua(step: int) -> str:
    """Sets `answered`, `marks` and `score`; needs `items` (entries of `step` items: id, kind, body, event_id, ...),
    `seen` and `window_ms`."""
    return f"""
local answered = {{}}
local marks = {{}}
local score = ''
if window_ms > 0 then
  local t = redis.call('TIME')
  local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  score = string.format('%d', now_ms)  -- formatted once: Redis would format a Lua number per call
  redis.call('ZREMRANGEBYSCORE', seen, '-inf', string.format('(%d', now_ms - window_ms))
  local ids = {{}}
  for i = 1, #items, {step} do
    if items[i + 1] == 'r' then ids[#ids + 1] = items[i + 3] end
  end
  for first = 1, #ids, {CHUNK} do
    local last = math.min(first + {CHUNK - 1}, #ids)
    local scores = redis.call('ZMSCORE', seen, unpack(ids, first, last))
    for j = first, last do
      if scores[j - first + 1] then answered[ids[j]] = true end
    end
  end
end
"""


def publish_lua(after_result: str = "") -> str:
    """The ack-and-publish branch of one entry, ending the entry's `if` chain: XACK, and only when it counted
    the result (marked in the window) or the dead letter, with `after_result` run after a published result
    (the history change). Sets flags[n] to "1" or "0"; needs `items`, `n`, `result`, `answered`, `marks`,
    `score`, `results`, `letters`."""
    return f"""
  elseif redis.call('XACK', KEYS[1], group, items[i]) == 1 then
    if result then
      redis.call('XADD', KEYS[2], '*', 'result', items[i + 2])
      results = results + 1
      if window_ms > 0 then
        answered[items[i + 3]] = true
        marks[#marks + 1] = score
        marks[#marks + 1] = items[i + 3]
      end{after_result}
    else
      redis.call('XADD', KEYS[3], '*', 'dead_letter', items[i + 2])
      letters = letters + 1
    end
    flags[n] = '1'
  else
    flags[n] = '0'
  end
"""


FINISH_LUA = f"""
for first = 1, #marks, {2 * CHUNK} do
  redis.call('ZADD', seen, unpack(marks, first, math.min(first + {2 * CHUNK - 1}, #marks)))
end
if results > 0 then redis.call('XTRIM', KEYS[2], 'MAXLEN', '~', maxlen) end
if letters > 0 then redis.call('XTRIM', KEYS[3], 'MAXLEN', '~', maxlen) end
"""
"""Adds the window's marks and trims the streams; needs `marks`, `results` and `letters` (counts of XADDs)."""
