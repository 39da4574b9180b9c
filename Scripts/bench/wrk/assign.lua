-- POST /api/experiments/bench/assign with 100 fresh profile ids per request.
math.randomseed(os.time())
-- Usage: wrk -s assign.lua ... (KEY in the environment)
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  -- A run prefix, so every run assigns profiles never seen before (the insert path).
  run = os.time() .. "-" .. math.random(1000000)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("KEY")
end

function request()
  counter = counter + 1
  local ids = {}
  for i = 1, 100 do
    ids[i] = string.format('"w%s-%d-%d-%d"', run, tid, counter, i)
  end
  return wrk.format(nil, "/api/experiments/bench/assign", nil, '{"profile_ids":[' .. table.concat(ids, ",") .. ']}')
end

function response(status, headers, body)
  if status ~= 200 then
    io.stderr:write("status " .. status .. ": " .. body .. "\n")
  end
end
