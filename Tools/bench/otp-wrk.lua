-- wrk script for Tools/bench-otp.sh: sends the request bodies prepared by `otp-load.py --emit` (each
-- a fresh valid TOTP code, every (token, step) once), split over wrk's threads, then stops.
--   wrk -t T -c C -d 600s -s Tools/bench/otp-wrk.lua URL -- BODIES T CONTENT_TYPE ACCEPT_LUA_PATTERN [AUTHORIZATION]
-- Prints one JSON line with the same fields as otp-load.py (requests, seconds, per_second, p50/p90/p99/max
-- in ms, accepted, rejected, errors). A response counts as accepted when its status is 200 and its body
-- matches the Lua pattern.
local threads = {}
local created = 0

function setup(thread)
    thread:set("id", created)
    created = created + 1
    table.insert(threads, thread)
end

function init(args)
    local file, count = args[1], tonumber(args[2])
    bodies = {}
    local line_number = 0
    for line in io.lines(file) do
        if line_number % count == id then table.insert(bodies, line) end
        line_number = line_number + 1
    end
    accept = args[4]
    headers = { ["Content-Type"] = args[3] }
    if args[5] and args[5] ~= "" then headers["Authorization"] = args[5] end
    sent, answered, accepted, rejected = 0, 0, 0, 0
end

function request()
    sent = sent + 1
    -- After the last body a connection may still ask for a request before the thread stops: it
    -- repeats the last body (a replay) and its answer is not counted.
    return wrk.format("POST", nil, headers, bodies[math.min(sent, #bodies)])
end

function response(status, _, body)
    if answered >= #bodies then return end
    answered = answered + 1
    if status == 200 and string.find(body, accept) then accepted = accepted + 1 else rejected = rejected + 1 end
    if answered >= #bodies then wrk.thread:stop() end
end

function done(summary, latency, _)
    local ok, bad = 0, 0
    for _, thread in ipairs(threads) do
        ok = ok + thread:get("accepted")
        bad = bad + thread:get("rejected")
    end
    local seconds = summary.duration / 1e6
    local e = summary.errors
    io.write(string.format(
        '{"requests":%d,"seconds":%.3f,"per_second":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
        '"accepted":%d,"rejected":%d,"errors":%d,"threads":%d,"load_tool":"wrk"}\n',
        ok + bad, seconds, (ok + bad) / seconds, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
        latency:percentile(99) / 1000, latency.max / 1000, ok, bad, e.connect + e.read + e.write + e.timeout, #threads))
end
