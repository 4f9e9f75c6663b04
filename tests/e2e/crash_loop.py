"""A crash-loop harness: runs `sluice sync PIPELINE`, SIGKILLs it at seeded random moments and
runs it again until a run completes, then lets the caller check the destination against the
source. Reproducible: every delay is drawn from random.Random(seed).

    loop = CrashLoop("faker → pg overwrite", pipeline, seed=1, kills=3, reset=drop_tables, check=compare)
    loop.calibrate()   # one clean run: how long a sync takes (the kill delays are drawn up to it)
    loop.run()         # cycles of: reset(); kill, kill, …, a run that completes; check(cycle)
    print(loop.summary())

A cycle starts from an empty destination and no state (`reset`), kills runs until one completes
before its kill moment (or, once `kills` kills were made or after `max_kills_per_cycle` kills in
the cycle, runs to completion without a kill), then
calls `check(cycle_index)`. Cycles repeat until `kills` kills were made, so the long form (100 kills)
covers many whole syncs, each killed at different points. Every run that is not killed must
succeed (exit 0) or fail as transient (exit 3, run again); anything else fails the test with the
run's stderr: a kill must never leave a state the next run cannot resume from.
"""
import os
import random
import signal
import subprocess
import tempfile
import time

from conftest import SLUICE, wait_for


class CrashLoop:
    def __init__(self, name, pipeline, seed, kills, reset=None, check=None, min_delay=0.2, run_timeout=600,
                 max_runs_per_cycle=60, max_kills_per_cycle=10, args=("--no-progress",)):
        self.name = name
        self.pipeline = str(pipeline)
        self.seed = seed
        self.target_kills = kills
        self.reset = reset or (lambda: None)
        self.check = check or (lambda cycle: None)
        self.min_delay = min_delay
        self.run_timeout = run_timeout
        self.max_runs_per_cycle = max_runs_per_cycle
        self.max_kills_per_cycle = max_kills_per_cycle
        self.args = list(args)
        self.rng = random.Random(seed)
        self.expected = None  # seconds of a clean run (calibrate)
        self.kills = 0
        self.runs = 0
        self.cycles = 0
        self.transient = 0
        self.kill_delays = []
        self.notes = []  # free-form figures the checks add (e.g. duplicates in append)

    # --- one run ---
    def _start(self):
        err = tempfile.TemporaryFile(mode="w+")
        proc = subprocess.Popen([SLUICE, "sync", self.pipeline, *self.args], stdout=subprocess.DEVNULL, stderr=err,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        return proc, err

    def _stderr(self, err):
        err.seek(0)
        text = err.read()
        err.close()
        return text[-4000:]

    def one_run(self, kill_after=None):
        """Runs the sync once; SIGKILLs its process group after `kill_after` s if it is still running.
        Returns "killed", "done" or "transient"; raises on any other exit."""
        self.runs += 1
        proc, err = self._start()
        try:
            proc.wait(timeout=kill_after if kill_after is not None else self.run_timeout)
        except subprocess.TimeoutExpired:
            if kill_after is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise AssertionError(f"{self.name}: a run took more than {self.run_timeout} s:\n{self._stderr(err)}")
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            self._stderr(err)
            return "killed"
        code = proc.returncode
        text = self._stderr(err)
        if code == 0:
            return "done"
        if code == 3:
            self.transient += 1
            return "transient"
        raise AssertionError(f"{self.name} (seed {self.seed}): run {self.runs} after {self.kills} kills exited {code} "
                             f"— a kill left something the next run cannot resume from:\n{text}")

    def run_to_completion(self):
        for _ in range(self.max_runs_per_cycle):
            if self.one_run() == "done":
                return
        raise AssertionError(f"{self.name}: not done after {self.max_runs_per_cycle} runs")

    # --- the loop ---
    def calibrate(self):
        """One clean cycle (reset, run to completion, check): the expected run time."""
        self.reset()
        started = time.monotonic()
        self.run_to_completion()
        self.expected = time.monotonic() - started
        self.check(-1)
        return self.expected

    def run(self):
        assert self.expected is not None, "calibrate() first"
        upper = max(self.expected, self.min_delay * 2)
        while self.kills < self.target_kills:
            self.reset()
            runs = 0
            while True:
                if self.kills >= self.target_kills or runs >= self.max_kills_per_cycle:
                    # Enough kills (or a sync that restarts from scratch, like a non-resumable
                    # overwrite, outlasting every kill moment): this cycle's last run completes.
                    self.run_to_completion()
                    break
                runs += 1
                delay = self.rng.uniform(self.min_delay, upper)
                outcome = self.one_run(kill_after=delay)
                if outcome == "killed":
                    self.kills += 1
                    self.kill_delays.append(delay)
                elif outcome == "done":
                    break
            self.check(self.cycles)
            self.cycles += 1
        return self

    def summary(self):
        extra = "; ".join(self.notes)
        return (f"{self.name} seed {self.seed}: {self.kills} kills survived in {self.cycles} complete syncs "
                f"({self.runs} runs, {self.transient} transient exits, clean run {self.expected:.1f} s)"
                + (f"; {extra}" if extra else ""))


# --- one SIGKILL mid-stream (the CDC sources' tests) ---

def kill_after_checkpoint(pipeline, checkpointed, timeout=120):
    """Runs `sluice sync PIPELINE` (committing every 20 ms) and SIGKILLs it as soon as `checkpointed()`
    is true: killed mid-stream, after a checkpoint. Fails when no checkpoint came, or the sync ended
    before it could be killed (give it more to read)."""
    proc = subprocess.Popen([SLUICE, "sync", str(pipeline), "--no-progress", "--commit-interval-ms", "20"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(checkpointed, timeout), "no checkpoint"
        assert proc.poll() is None, "the sync finished before it could be killed: raise the counts"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def kill_mid_sync(pipeline, position, timeout=120):
    """kill_after_checkpoint() once `position()` (the saved state's cursor, LSN or resume token) moved.
    Returns (the position before, the position saved when it was killed), the second greater."""
    before = position()
    kill_after_checkpoint(pipeline, lambda: position() != before, timeout)
    mid = position()
    assert before < mid, (before, mid)
    return before, mid


# --- checks shared by the crash tests ---

def pg_data_columns(pg, db, table, schema="public"):
    cols = [r[0] for r in pg.query(db, "select column_name from information_schema.columns where table_schema = %s "
                                       "and table_name = %s order by column_name", (schema, table))]
    return [c for c in cols if not c.startswith("_airbyte") and not c.startswith("_ab_")]


def pg_digest(pg, db, table, cols, distinct=False):
    """(row count, md5 of every row's `cols` in id order) of `table`; distinct: of its distinct rows."""
    rows = ", ".join(f'coalesce("{c}"::text, \'∅\')' for c in cols)
    quoted = ", ".join(f'"{c}"' for c in cols)
    src = f"(select distinct {quoted} from {table})" if distinct else table
    return tuple(pg.query(db, f"select count(*), md5(string_agg(concat_ws('|', {rows}), E'\\n' order by id)) "
                              f"from {src} t")[0])


def pg_reset(pg, db):
    """Drops every schema but the system ones and recreates `public`: an empty destination."""
    schemas = [r[0] for r in pg.query(db, "select nspname from pg_namespace where nspname not like 'pg\\_%' "
                                          "and nspname <> 'information_schema'")]
    for s in schemas:
        pg.execute(db, f'drop schema "{s}" cascade')
    pg.execute(db, "create schema public")
