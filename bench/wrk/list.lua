-- The platform's work queue: GET /api/v1/complaints/?status=awaiting_response (API key).
wrk.headers["Authorization"] = "Api-Key " .. os.getenv("BENCH_API_KEY")
wrk.path = "/api/v1/complaints/?status=awaiting_response"
