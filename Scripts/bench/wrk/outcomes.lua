-- POST /api/experiments/bench/outcomes with batches of 1,000 new outcomes (unique event ids).
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("KEY")
end

function request()
  counter = counter + 1
  local items = {}
  for i = 1, 1000 do
    items[i] = string.format('{"profile_id":"w%d-%d","conversion_ts":"2026-03-05T10:30:00Z","value":%d.5,"event_id":"e%d-%d-%d"}',
      tid, i, i % 97, tid, counter, i)
  end
  return wrk.format(nil, "/api/experiments/bench/outcomes", nil, '{"outcomes":[' .. table.concat(items, ",") .. ']}')
end

function response(status, headers, body)
  if status ~= 200 then
    io.stderr:write("status " .. status .. ": " .. body .. "\n")
  end
end
