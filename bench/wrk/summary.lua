-- GET /api/v1/stats/summary/ as complaint-centre staff (session cookie).
wrk.headers["Cookie"] = "sessionid=" .. os.getenv("BENCH_STAFF_SESSION")
wrk.path = os.getenv("BENCH_SUMMARY_PATH") or "/api/v1/stats/summary/"
