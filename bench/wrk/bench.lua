-- One wrk script for every scenario; the mode comes after `--` on the wrk command line:
--   wrk ... URL -- ids   FILE PREFIX   GET PREFIX..<random id from FILE>
--   wrk ... URL -- get   PATH          GET PATH
--   wrk ... URL -- auth  FILE PATH     GET PATH, signed in: "Authorization: <random token from FILE>"
--   wrk ... URL -- post  PATH BODY     POST PATH with a JSON body
--   wrk ... URL -- authpost FILE PATH  POST PATH without a body, signed in: "Authorization: <random token from FILE>"
--   wrk ... URL -- bodies FILE PATH    POST PATH with a JSON body, a random line of FILE
-- done() prints one machine-readable RESULT line that run.sh parses.
local mode, values, prefix, path, body -- values: the ids or tokens read from FILE

local function lines(file)
  local list = {}
  for line in io.lines(file) do list[#list + 1] = line end
  math.randomseed(os.time())
  return list
end

function init(args)
  mode = args[1]
  if mode == "ids" then
    values, prefix = lines(args[2]), args[3]
  elseif mode == "auth" or mode == "authpost" or mode == "bodies" then
    values, path = lines(args[2]), args[3]
  elseif mode == "get" then
    path = args[2]
  elseif mode == "post" then
    path, body = args[2], args[3]
  else
    error("unknown mode " .. tostring(mode))
  end
end

function request()
  if mode == "ids" then
    return wrk.format("GET", prefix .. values[math.random(#values)])
  elseif mode == "auth" then
    return wrk.format("GET", path, { ["Authorization"] = values[math.random(#values)] })
  elseif mode == "authpost" then
    return wrk.format("POST", path, { ["Authorization"] = values[math.random(#values)] })
  elseif mode == "bodies" then
    return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, values[math.random(#values)])
  elseif mode == "get" then
    return wrk.format("GET", path)
  end
  return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, body)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.0f p50_ms=%.2f p99_ms=%.2f non2xx=%d socket_errors=%d\n",
    summary.requests, seconds, summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
