-- The one-INSERT baseline: the same JSON body as a filing.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BENCH_FILING_BODY")
wrk.path = "/bench/insert/"
