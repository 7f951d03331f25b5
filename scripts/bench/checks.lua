-- wrk script of make bench: POST /check with startup codes built here from key lines.
-- Arguments: MODE (refresh | spread | heartbeat | admit | mixed) KEYS_FILE INVALID_FILE RUN_TAG [USERS_PER_LICENSE [THREADS [PAUSE_MS]]]
--   refresh: the same USERS_PER_LICENSE (10) users per license, over and over (known seats);
--   spread:  USERS_PER_LICENSE users per license ("bench-spread-LLLLLL-UUUUUU", seats that
--            scripts/bench/spread-seats.sql made), each once before any is again, in an order
--            that jumps across licenses and users (a real day's program starts);
--   heartbeat: running programs' heartbeats: USERS_PER_LICENSE users per license, each with an
--            instance= line (keys that count rights), checked in turn, over and over;
--   admit:   every request a user never seen (a new seat on a license with room);
--   mixed:   89 % refresh, 10 % admit, 1 % invalid (a bad signature, an expired key).
-- PAUSE_MS (make soak): each connection waits that long after an answer before its next request,
-- so that C connections send about C * 1000 / (PAUSE_MS + latency) checks a second.
-- Codes are base64url(KEY "\n" REVISION "\n" USER "\n" DOMAIN); the revision is chosen so that
-- KEY "\n" REVISION "\n" is a multiple of 3 bytes long, and only the user's part is encoded per
-- request.

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local symbols = {}
for index = 1, 64 do symbols[index - 1] = alphabet:sub(index, index) end

local function base64url(text)
  local out = {}
  for index = 1, #text, 3 do
    local a, b, c = text:byte(index, index + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    out[#out + 1] = symbols[math.floor(n / 262144) % 64] .. symbols[math.floor(n / 4096) % 64]
    if b then out[#out + 1] = symbols[math.floor(n / 64) % 64] end
    if c then out[#out + 1] = symbols[n % 64] end
  end
  return table.concat(out)
end

local function lines(path)
  local list = {}
  for line in io.lines(path) do if #line > 0 then list[#list + 1] = line end end
  return list
end

local threads = 0
function setup(thread)
  thread:set("thread_id", threads)
  threads = threads + 1
end

local mode, prefixes, refresh_codes, invalid_codes, tag, spread_users, spread_threads
local spread_step = 0
local counter = 0
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }

function init(args)
  mode = args[1]
  local keys = lines(args[2])
  invalid_codes = lines(args[3])
  tag = args[4] .. "-" .. thread_id
  local users = tonumber(args[5] or "10")
  prefixes = {}
  for index, key in ipairs(keys) do
    local revision = "7.1"
    while (#key + #revision + 2) % 3 ~= 0 do revision = revision .. "0" end
    prefixes[index] = base64url(key .. "\n" .. revision .. "\n")
  end
  spread_users = users
  spread_threads = tonumber(args[6] or "2")
  local pause = tonumber(args[7] or "0")
  -- wrk pauses only when the script defines delay(); without a pause it must not.
  if pause > 0 then delay = function() return pause end end
  -- A run goes on about where the one before it stopped (2 500 steps a second per thread),
  -- so that a warm-up does not check the measured run's seats first.
  spread_step = (os.time() * 2500) % (#prefixes * math.max(users, 1))
  refresh_codes = {}
  if mode == "spread" then users = 0 end
  for index = 1, #prefixes do
    for user = 1, users do
      local text = string.format("bench-user-%06d-%02d\nlocalhost", index, user)
      if mode == "heartbeat" then
        text = string.format("bench-hb-user-%06d-%04d\nlocalhost\ninstance=bench-hb-instance-%06d-%04d", index, user, index, user)
      end
      refresh_codes[#refresh_codes + 1] = prefixes[index] .. base64url(text)
    end
  end
  -- Threads start at different places, so that they do not all knock at one license.
  counter = thread_id * 7919
  -- Heartbeats start where the clock says, so that repeated seeding passes (scripts/bench.sh)
  -- reach every instance, not the same first ones each time.
  if mode == "heartbeat" then counter = counter + os.time() * 4099 end
end

-- A count of its own, so that the mixed load's admissions (the requests whose counter ends in
-- 89–98) spread over every license, not over the hundred whose numbers end so.
local admissions = 0
local function admit_code()
  admissions = admissions + 1
  local prefix = prefixes[(admissions + thread_id * 7919) % #prefixes + 1]
  return prefix .. base64url("new-" .. tag .. "-" .. admissions .. "\nlocalhost")
end

-- The next seat of a walk over every (license, user) pair: the threads take turns at the steps
-- n (thread t takes t, t + THREADS, …), and n * 7919 visits each of the 1000 × 1000 pairs once
-- in each round, 7919 being prime to their number.
local function spread_code()
  local pairs = #prefixes * spread_users
  local seat = ((spread_step * spread_threads + thread_id) * 7919) % pairs
  spread_step = spread_step + 1
  local license = seat % #prefixes + 1
  local user = math.floor(seat / #prefixes) + 1
  return prefixes[license] .. base64url(string.format("bench-spread-%06d-%06d\nlocalhost", license, user))
end

function request()
  counter = counter + 1
  local code
  if mode == "refresh" or mode == "heartbeat" then
    code = refresh_codes[counter % #refresh_codes + 1]
  elseif mode == "spread" then
    code = spread_code()
  elseif mode == "admit" then
    code = admit_code()
  else
    local slot = counter % 100
    if slot < 89 then code = refresh_codes[counter % #refresh_codes + 1]
    elseif slot < 99 then code = admit_code()
    else code = invalid_codes[counter % #invalid_codes + 1] end
  end
  return wrk.format("POST", wrk.path, headers, "code=" .. code)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "seconds": %.3f, "non_2xx": %d, "socket_errors": %d, "p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f}\n',
    summary.requests, summary.duration / 1e6, errors.status, errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
