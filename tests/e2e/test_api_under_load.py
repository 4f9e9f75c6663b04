"""API under load (issue 20), the bounded form: API_LOAD_RATE (150) requests/s of mixed reads and
writes for API_LOAD_SECONDS (10) s while syncs run on the server's workers (faker → postgres and
faker → dev-null, on cron schedules and synced by the load), with the server restarted in the
middle (SIGTERM at a third, SIGKILL at two thirds). Asserts zero errors outside the restart windows
and that nothing acknowledged was lost (tests/e2e/api_load.py); latencies are only reported. The
long form (500 req/s for 60 s): bench/api_load.py under `make torture`."""
import os
import signal

from api_load import ApiLoad
from pg_server import pg  # noqa: F401  (session fixture)
from sluice_server import register_secret, sluice_server

RATE = int(os.environ.get("API_LOAD_RATE", "150"))
SECONDS = float(os.environ.get("API_LOAD_SECONDS", "10"))
SEED = int(os.environ.get("API_LOAD_SEED", "1"))
USERS = int(os.environ.get("API_LOAD_USERS", "100000"))  # faker → postgres: still syncing at the restarts


def test_api_under_load_with_restarts(pg):  # noqa: F811
    register_secret(pg.password)
    with sluice_server(extra_args=["--retry-backoff-seconds", "1"]) as server:
        load = ApiLoad(server, pg, rate=RATE, seconds=SECONDS, seed=SEED, users=USERS,
                       restarts=[(SECONDS / 3, signal.SIGTERM), (SECONDS * 2 / 3, signal.SIGKILL)])
        load.setup()
        load.run()
        problems = load.verify()
        print("\n" + load.report())
        assert not load.outside_errors(), f"errors outside the restart windows:\n{load.report()}"
        assert not problems, "\n".join(problems)
