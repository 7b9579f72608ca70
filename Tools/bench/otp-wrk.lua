-- wrk script for Tools/bench-otp.sh: sends the request bodies prepared by `otp-load.py --emit` (each
-- a fresh valid TOTP code, every (token, step) once), split over wrk's threads, each thread stopping
-- after its share.
--   wrk -t T -c C -d 3600s -s Tools/bench/otp-wrk.lua URL -- BODIES T CONTENT_TYPE ACCEPT_LUA_PATTERN AUTHORIZATION DONE_FILE C
-- wrk itself runs until -d or SIGINT: each thread appends a line to DONE_FILE when its share is answered,
-- and the caller sends SIGINT once there are T lines; wrk then prints one JSON line with the same fields
-- as otp-load.py (requests, seconds, per_second, p50/p90/p99/max in ms, accepted, rejected, errors, concurrency).
-- seconds runs from the first thread's start to the last thread's last answer (CLOCK_MONOTONIC).
-- A response counts as accepted when its status is 200 and its body matches the Lua pattern; a non-200
-- answer to a body is an error (a validation answer is always 200 on both servers; 404 answers the
-- filler GETs and is not counted).
local ffi = require("ffi")
ffi.cdef [[
    typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
    int clock_gettime(int clock, bench_timespec *ts);
]]
local function now()
    local ts = ffi.new("bench_timespec")
    ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

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
    done_file = args[6]
    connections = tonumber(args[7])
    sent, answered, accepted, rejected, failed = 0, 0, 0, 0, 0
    started, finished = now(), 0
    -- wrk calls request() once on thread 0 to check the script (script_verify_request) and discards it.
    if id == 0 then sent = -1 end
end

function request()
    sent = sent + 1
    if sent < 1 or sent > #bodies then
        -- Before the first body (the discarded check) and after the last one (a connection asking for more
        -- before the caller stops wrk): a GET of a path neither server has, answered 404 and not counted.
        return wrk.format("GET", "/sleutel-bench-no-such-path", nil, nil)
    end
    return wrk.format("POST", nil, headers, bodies[sent])
end

function response(status, _, body)
    if answered + failed >= #bodies then return end
    if status == 404 then return end
    if status ~= 200 then
        failed = failed + 1
    else
        answered = answered + 1
        if string.find(body, accept) then accepted = accepted + 1 else rejected = rejected + 1 end
    end
    if answered + failed >= #bodies then
        finished = now()
        local f = io.open(done_file, "a")
        f:write(id, "\n")
        f:close()
    end
end

function done(summary, latency, _)
    local ok, bad, failures, first, last = 0, 0, 0, math.huge, 0
    for _, thread in ipairs(threads) do
        ok = ok + thread:get("accepted")
        bad = bad + thread:get("rejected")
        failures = failures + thread:get("failed")
        first = math.min(first, thread:get("started"))
        last = math.max(last, thread:get("finished"))
    end
    local seconds = last - first
    local e = summary.errors
    io.write(string.format(
        '{"requests":%d,"seconds":%.3f,"per_second":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
        '"accepted":%d,"rejected":%d,"errors":%d,"threads":%d,"concurrency":%d,"load_tool":"wrk"}\n',
        ok + bad + failures, seconds, (ok + bad) / seconds, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
        latency:percentile(99) / 1000, latency.max / 1000, ok, bad, failures + e.connect + e.read + e.write + e.timeout, #threads, threads[1]:get("connections")))
end
