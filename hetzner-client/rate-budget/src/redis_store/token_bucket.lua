-- Token bucket in one atomic step, on Redis TIME (microseconds).
-- KEYS[1]: the bucket hash (tokens, updated, capacity, period, seq, share).
-- ARGV[1]: operation (reserve | observe | exhausted); ARGV[2]: capacity; ARGV[3]: refill
-- period in microseconds; ARGV[4]: headroom (tokens of burst held back); then reserve:
-- ARGV[5] max wait in microseconds (-1: none); observe: ARGV[5] ticket (unused), ARGV[6]
-- limit (0: none), ARGV[7] remaining (-1: none).
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
local headroom = tonumber(ARGV[4])
local function ceiling(c)
  return math.max(1, c - headroom)
end
if not h[1] then
  tokens = ceiling(capacity)
end
local rate = capacity / period * share
if now > updated then
  tokens = math.min(ceiling(capacity), tokens + (now - updated) * rate)
  updated = now
end
local result = {2}
if op == 'reserve' then
  local wait = 0
  if tokens < 1 then
    wait = math.ceil((1 - tokens) / rate)
  end
  local max_wait = tonumber(ARGV[5])
  if max_wait >= 0 and wait > max_wait then
    return {0, wait}
  end
  tokens = tokens - 1
  result = {1, wait, seq}
  seq = seq + 1
elseif op == 'observe' then
  local limit = tonumber(ARGV[6])
  local remaining = tonumber(ARGV[7])
  if limit > 0 and limit ~= capacity then
    capacity = limit
    tokens = math.min(tokens, ceiling(capacity))
  end
  if remaining >= 0 then
    -- Reservations still waiting for their token cannot be in the server's figure.
    local estimate = remaining - math.max(0, math.ceil(-tokens))
    if estimate >= 1 and share < 1 then
      share = math.min(1, share + 0.05)
    end
    -- Whole tokens are reported: a gap under one is rounding, not budget spent elsewhere.
    if tokens - estimate >= 1 then
      tokens = estimate
    end
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
