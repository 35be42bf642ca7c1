import os

from corpus.config import load_config
from corpus.core.sql import connect


def make_config(inputs, out, **overrides):
    return load_config(None, inputs=tuple(str(i) for i in inputs), output=str(out), **overrides)


def all_rows(out) -> dict[str, list[tuple]]:
    """Every row of every fate, sorted by id: what two equivalent builds must share exactly."""
    con = connect(str(out))
    return {fate: con.execute(f"select * from {fate} order by id").fetchall() for fate in ("kept", "dropped", "failed")}


def fates_by_id(out) -> dict[str, tuple]:
    """id -> (fate, stage, reason, rule, value, threshold): what refilter and a rebuild must agree on."""
    con = connect(str(out))
    return {
        r[0]: r[1:] for r in con.execute("select id, fate, stage, reason, rule, value, threshold from docs").fetchall()
    }


def env_with_path():
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    return env


def descendants(pid):
    """Living child processes of pid, recursively (psutil is a test dependency)."""
    import psutil

    try:
        family = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [p for p in family if _alive(p)]


def _alive(p):
    import psutil

    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def assert_all_gone(procs, timeout=15):
    import psutil

    _, alive = psutil.wait_procs(procs, timeout=timeout)
    leaked = [p for p in alive if _alive(p)]
    for p in leaked:
        p.kill()
    assert not leaked, f"processes outlived the killed build: {leaked}"


class HeldLock:
    """OUT's BuildLock held by another live process, as a running build holds it; SIGKILLed at exit, as a
    killed build leaves its lock file behind."""

    def __init__(self, out):
        import subprocess
        import sys

        code = (
            "import sys; from corpus.core.outdir import BuildLock; BuildLock(sys.argv[1]).__enter__(); "
            "print('locked', flush=True); sys.stdin.read()"
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, str(out)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env_with_path(),
        )
        assert self.proc.stdout.readline().strip() == "locked"

    def __enter__(self) -> int:
        return self.proc.pid

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()
