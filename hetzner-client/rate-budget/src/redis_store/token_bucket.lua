-- Token bucket in one atomic step, on Redis TIME (microseconds).
-- KEYS[1]: the bucket hash (tokens, updated, capacity, period, seq, share).
-- ARGV[1]: operation (reserve | observe | exhausted); ARGV[2]: capacity; ARGV[3]: refill
-- period in microseconds; then reserve: ARGV[4] max wait in microseconds (-1: none);
-- observe: ARGV[4] ticket, ARGV[5] limit (0: none), ARGV[6] remaining (-1: none).
-- Returns {1, wait_us, ticket} (granted), {0, wait_us} (refused) or {2} (recorded).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local op = ARGV[1]
local h = redis.call('HMGET', KEYS[1], 'tokens', 'updated', 'capacity', 'period', 'seq', 'share')
local capacity = tonumber(h[3]) or tonumber(ARGV[2])
local period = tonumber(h[4]) or tonumber(ARGV[3])
local tokens = tonumber(h[1]) or capacity
local updated = tonumber(h[2]) or now
local seq = tonumber(h[5]) or 0
local share = tonumber(h[6]) or 1
local rate = capacity / period * share
if now > updated then
  tokens = math.min(capacity, tokens + (now - updated) * rate)
  updated = now
end
local result = {2}
if op == 'reserve' then
  local wait = 0
  if tokens < 1 then
    wait = math.ceil((1 - tokens) / rate)
  end
  local max_wait = tonumber(ARGV[4])
  if max_wait >= 0 and wait > max_wait then
    return {0, wait}
  end
  tokens = tokens - 1
  result = {1, wait, seq}
  seq = seq + 1
elseif op == 'observe' then
  local ticket = tonumber(ARGV[4])
  local limit = tonumber(ARGV[5])
  local remaining = tonumber(ARGV[6])
  if limit > 0 and limit ~= capacity then
    capacity = limit
    tokens = math.min(tokens, capacity)
  end
  if remaining >= 0 then
    -- The server counted every request up to this one; those reserved after it are not in
    -- its figure yet.
    local estimate = remaining - math.max(0, seq - ticket - 1)
    if estimate >= 1 and share < 1 then
      share = math.min(1, share + 0.05)
    end
    tokens = math.min(tokens, estimate)
  end
elseif op == 'exhausted' then
  tokens = math.min(tokens, 0)
  share = math.max(share * 0.5, 1 / 32)
else
  return redis.error_reply('unknown operation')
end
redis.call('HSET', KEYS[1],
  'tokens', string.format('%.17g', tokens),
  'updated', string.format('%d', updated),
  'capacity', string.format('%d', capacity),
  'period', string.format('%d', period),
  'seq', string.format('%d', seq),
  'share', string.format('%.17g', share))
-- Idle longer than a refill, the bucket is full again: let the key go.
redis.call('PEXPIRE', KEYS[1], string.format('%d', math.ceil(period / 1000) + 60000))
return result
