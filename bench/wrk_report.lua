-- wrk script for bench/load.py: requests rotate over the paths listed one per line in the file
-- WRK_PATHS_FILE, and at the end one JSON line (prefixed "WRK ") gives counts, errors and
-- latency percentiles in microseconds. Non-2xx/3xx replies count as errors (summary.errors.status).
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS_FILE")) do
  if line ~= "" then table.insert(paths, line) end
end
local counter = 0

function setup(thread)
  thread:set("offset", math.random(#paths))
end

-- WRK_COOKIE: sent with every request (bench/load.py's "no page cache" mixes: a session
-- cookie makes the site render each reply instead of serving it from its page cache).
local cookie = os.getenv("WRK_COOKIE")
local headers = cookie and { Cookie = cookie } or nil

function request()
  counter = counter + 1
  return wrk.format("GET", paths[((counter + (offset or 0)) % #paths) + 1], headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max))
end
