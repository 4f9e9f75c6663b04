#!/usr/bin/env python3
"""API under load, the long form (issue 20; `make torture` runs it): BENCH_RATE (500) requests/s of
mixed reads and writes for BENCH_SECONDS (60) s, open loop (latency from each request's scheduled
send time), against `sluice server` (2 workers, SQLite store) while syncs run on its workers:
faker → postgres (BENCH_USERS, 500,000 users, Append + Deduped) on a 3 s cron and synced by the
load, faker → dev-null on a 2 s cron, and 12 manual faker → dev-null connections the load syncs
and cancels. The server is restarted with SIGTERM at a third and with SIGKILL at two thirds of the
run; afterwards every acknowledged write and job is checked (tests/e2e/api_load.py, which the
bounded e2e test test_api_under_load.py shares).

Prints p50/p99/max and errors per route, the restart windows and the checks; exits 1 when a check
failed or a request failed outside the restart windows. Goal: p99 < 50 ms, zero errors.

Usage: python3 bench/api_load_bench.py build/sluice
Environment: BENCH_RATE, BENCH_SECONDS, BENCH_USERS, BENCH_SEED (1), BENCH_RESTARTS (1; 0: none).
"""
import os
import pathlib
import signal
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))


def main():
    sluice = os.path.realpath(sys.argv[1] if len(sys.argv) > 1 else "build/sluice")
    os.environ["SLUICE_BIN"] = sluice  # read by sluice_server at import
    from api_load import ApiLoad  # noqa: E402
    from pg_server import PgServer  # noqa: E402
    from sluice_server import sluice_server  # noqa: E402

    rate = int(os.environ.get("BENCH_RATE", "500"))
    seconds = float(os.environ.get("BENCH_SECONDS", "60"))
    users = int(os.environ.get("BENCH_USERS", "500000"))
    seed = int(os.environ.get("BENCH_SEED", "1"))
    restarts = [(seconds / 3, signal.SIGTERM), (seconds * 2 / 3, signal.SIGKILL)] \
        if os.environ.get("BENCH_RESTARTS", "1") != "0" else []
    pg = PgServer()
    try:
        with sluice_server(extra_args=["--retry-backoff-seconds", "1"]) as server:
            load = ApiLoad(server, pg, rate=rate, seconds=seconds, restarts=restarts, seed=seed, users=users)
            load.setup()
            load.run()
            problems = load.verify(settle_timeout=600)
            print(load.report())
            p99 = load.p99_outside() * 1000
            errors = sum(len(v) for v in load.errors.values())
            print(f"goal p99 < 50 ms, zero errors: p99 {p99:.1f} ms ({p99 / 50:.2f}x the bound), "
                  f"{errors} errors outside the restart windows, {len(problems)} failed checks")
            return 1 if problems or errors else 0
    finally:
        pg.stop()


if __name__ == "__main__":
    sys.exit(main())
