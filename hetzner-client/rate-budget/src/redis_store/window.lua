-- Sliding-window log in one atomic step, on Redis TIME (microseconds).
-- KEYS[1]: sorted set of reserved send times (score: microseconds, member: sequence number);
-- KEYS[2]: hash (seq, blocked).
-- ARGV[1]: operation (reserve | block); ARGV[2]: limit (0: none); ARGV[3]: window + margin in
-- microseconds; ARGV[4]: minimum spacing in microseconds; ARGV[5]: reserve: max wait in
-- microseconds (-1: none); block: how long to block, in microseconds.
-- Returns {1, wait_us, ticket} (granted), {0, wait_us} (refused) or {2} (recorded).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local op = ARGV[1]
local limit = tonumber(ARGV[2])
local span = tonumber(ARGV[3])
local spacing = tonumber(ARGV[4])
local arg = tonumber(ARGV[5])
local blocked = tonumber(redis.call('HGET', KEYS[2], 'blocked') or '0') or 0
local keep_ms = math.ceil(span / 1000) + 60000
if op == 'block' then
  local untl = now + arg
  if untl > blocked then
    redis.call('HSET', KEYS[2], 'blocked', string.format('%d', untl))
  end
  redis.call('PEXPIRE', KEYS[2], string.format('%d', math.ceil((math.max(untl, blocked) - now) / 1000) + keep_ms))
  return {2}
elseif op ~= 'reserve' then
  return redis.error_reply('unknown operation')
end
local slot = math.max(now, blocked)
local n = redis.call('ZCARD', KEYS[1])
if n > 0 then
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  slot = math.max(slot, tonumber(last[2]) + spacing)
end
if limit > 0 and n >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
  slot = math.max(slot, tonumber(oldest[2]) + span)
end
local wait = slot - now
if arg >= 0 and wait > arg then
  return {0, wait}
end
local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
redis.call('ZADD', KEYS[1], string.format('%d', slot), string.format('%d', seq))
local keep = math.max(limit, 1)
if n + 1 > keep then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - keep)
end
local ttl = string.format('%d', math.ceil(wait / 1000) + keep_ms)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
return {1, wait, seq - 1}
