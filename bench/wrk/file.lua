-- POST /api/v1/complaints/ as a consumer (session cookie, CSRF token, Idempotency-Key).
local body = os.getenv("BENCH_FILING_BODY")
local csrf = os.getenv("BENCH_CSRF")
local headers = {
  ["Content-Type"] = "application/json",
  ["Cookie"] = "sessionid=" .. os.getenv("BENCH_CONSUMER_SESSION") .. "; csrftoken=" .. csrf,
  ["X-CSRFToken"] = csrf,
}
local made = 0
setup = function(thread)
  made = made + 1
  thread:set("tid", made)  -- one key space per thread: keys never repeat
end
local counter = 0
request = function()
  counter = counter + 1
  headers["Idempotency-Key"] = "bench-" .. os.time() .. "-" .. tid .. "-" .. counter
  return wrk.format("POST", "/api/v1/complaints/", headers, body)
end
