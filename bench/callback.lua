-- wrk script: POST a distinct provider callback on every request.
-- Usage: wrk ... -s bench/callback.lua URL -- TEMPLATES_FILE FIRST_SEQ BASE_EPOCH
-- TEMPLATES_FILE has one JSON body per line with @SEQ@ and @TIME@ placeholders
-- (written by bench/envelopes.py). Request n uses template n mod #templates, sequence number
-- FIRST_SEQ + n, and event time BASE_EPOCH + (FIRST_SEQ + n) milliseconds, so no two bodies
-- are equal (the app would deduplicate them) and roster snapshots arrive newest-last.

local templates = {}
local seq = 0
local base_epoch = 0

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      templates[#templates + 1] = line
    end
  end
  seq = tonumber(args[2])
  base_epoch = tonumber(args[3])
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

local function event_time(n)
  local ms = n % 1000
  local stamp = os.date("!%Y-%m-%dT%H:%M:%S", base_epoch + math.floor(n / 1000))
  return stamp .. string.format(".%03d0000Z", ms)
end

function request()
  seq = seq + 1
  local body = templates[(seq % #templates) + 1]
  body = body:gsub("@SEQ@", tostring(seq)):gsub("@TIME@", event_time(seq))
  return wrk.format(nil, nil, nil, body)
end
