-- The one-indexed-SELECT baseline: a random complaint by primary key.
local top = tonumber(os.getenv("BENCH_MAX_ID"))
request = function()
  return wrk.format("GET", "/bench/select/?id=" .. math.random(1, top))
end
