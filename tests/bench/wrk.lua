-- wrk script of the benchmark (tests/bench/run.sh).  Arguments after "--":
--   get                                      GET the URL as given
--   bearer TOKEN      GET the URL with the token as Bearer
--   bearers FILE      GET the URL, each time with the next secret of the
--                     file (one per line) as Bearer
--   introspect CALLER ACTIVE-FILE UNKNOWN-FILE
--                     POST token=... to the URL, alternating a secret from
--                     each file (one per line), authenticated as CALLER
--   mint CALLER       POST a JSON mint body to the URL as CALLER
--   ids METHOD SUFFIX CALLER FILE
--                     METHOD the URL + "/" + an id + SUFFIX as CALLER, each
--                     time the next id of the file (one per line); a POST
--                     sends {}
-- Counts every answer by status (and active introspections) and prints
-- machine-readable "BENCH ..." lines at the end.

local threads = {}
local requests = {}
local next_req = 1
codes = {}
active = 0

-- Reads a file of secrets, one per line.
local function lines_of(path)
	local t = {}
	for line in io.lines(path) do
		if #line > 0 then t[#t + 1] = line end
	end
	assert(#t > 0, path .. ": no secrets")
	return t
end

function setup(thread)
	thread:set("id", #threads)
	threads[#threads + 1] = thread
end

function init(args)
	local mode = args[1]
	if mode == "introspect" then
		wrk.method = "POST"
		wrk.headers["Authorization"] = "Bearer " .. args[2]
		wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
		local act, unk = lines_of(args[3]), lines_of(args[4])
		for i = 1, math.max(#act, #unk) do
			requests[#requests + 1] = wrk.format(nil, nil, nil,
				"token=" .. act[(i - 1) % #act + 1])
			requests[#requests + 1] = wrk.format(nil, nil, nil,
				"token=" .. unk[(i - 1) % #unk + 1])
		end
		-- The threads start at different places in the list.
		next_req = (id * 2 * 101) % #requests + 1
	elseif mode == "bearer" then
		wrk.headers["Authorization"] = "Bearer " .. args[2]
	elseif mode == "bearers" then
		for _, t in ipairs(lines_of(args[2])) do
			requests[#requests + 1] = wrk.format("GET", nil,
				{ ["Authorization"] = "Bearer " .. t })
		end
		next_req = (id * 101) % #requests + 1
	elseif mode == "ids" then
		local method, suffix = args[2], args[3]
		local h = { ["Authorization"] = "Bearer " .. args[4] }
		local body = nil
		if method == "POST" then
			h["Content-Type"] = "application/json"
			body = "{}"
		end
		for _, x in ipairs(lines_of(args[5])) do
			requests[#requests + 1] = wrk.format(method,
				wrk.path .. "/" .. x .. suffix, h, body)
		end
		-- Each thread its own half: no id is asked twice at once.
		next_req = id * math.floor(#requests / 2) + 1
	elseif mode == "mint" then
		wrk.method = "POST"
		wrk.headers["Authorization"] = "Bearer " .. args[2]
		wrk.headers["Content-Type"] = "application/json"
		wrk.body = '{"name":"bench","scopes":["bench:read"]}'
	end
	-- One fixed request otherwise: every row pays the same Lua call per request.
	if #requests == 0 then requests[1] = wrk.format() end
end

function request()
	local r = requests[next_req]
	next_req = next_req % #requests + 1
	return r
end

function response(status, headers, body)
	codes[status] = (codes[status] or 0) + 1
	if body:find('"active":true', 1, true) then active = active + 1 end
end

function done(summary, latency)
	local e = summary.errors
	print(string.format("BENCH requests %d", summary.requests))
	print(string.format("BENCH duration_us %d", summary.duration))
	print(string.format("BENCH p50_us %d", latency:percentile(50)))
	print(string.format("BENCH p99_us %d", latency:percentile(99)))
	print(string.format("BENCH socket_errors %d", e.connect + e.read + e.write + e.timeout))
	local all, n = {}, 0
	for _, t in ipairs(threads) do
		for status, count in pairs(t:get("codes")) do
			all[status] = (all[status] or 0) + count
		end
		n = n + t:get("active")
	end
	for status, count in pairs(all) do
		print(string.format("BENCH status %d %d", status, count))
	end
	print(string.format("BENCH active %d", n))
end
