"""Paths in object storage (s3://, gs://, hf://, ... anything fsspec knows), through fsspec.

Credentials and endpoints come the usual way: the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_ENDPOINT_URL, ...), ~/.aws, or fsspec storage options per protocol in the YAML config
(`storage: {s3: {endpoint_url: http://127.0.0.1:8333}}`, passed to `fsspec.filesystem`).

A build whose output is remote runs against a local mirror of it (`mirror_dir`): the mirror is filled from
the bucket before the build (`pull`), so a rerun anywhere resumes from what the bucket holds, and what the
build wrote is copied back after each pipeline and at the end (`push`). Only a build's own entries
(`Layout.entries()`) are ever deleted remotely.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

from corpus.core.clierrors import UsageError
from corpus.core.files import cache_root, open_text as open_local_text

LOCAL_PROTOCOLS = ("file", "local")
SEEN = ".objects.json"  # in a read-only copy: size and ETag of each object as last copied


class RemoteError(UsageError):
    """Object storage that cannot be reached or read: one line for the user, exit 2 (a ValueError, as the
    other mistakes a user mends are; corpus.core.clierrors.UsageError)."""


def is_remote(path: str) -> bool:
    """A URL with a protocol other than the local file system (s3://bucket/key, hf://datasets/...)."""
    head, sep, _ = str(path).partition("://")
    return bool(sep) and head.lower() not in LOCAL_PROTOCOLS and "/" not in head


def protocol(url: str) -> str:
    return str(url).partition("://")[0].lower()


def options_for(url: str, storage: dict | None) -> dict:
    """The fsspec storage options the config gives this URL's protocol (s3 and s3a share them). An
    `endpoint_url` at the top level is moved where s3fs reads it."""
    opts = dict((storage or {}).get(protocol(url)) or {})
    if protocol(url) in ("s3", "s3a") and "endpoint_url" in opts:
        client = dict(opts.get("client_kwargs") or {})
        client.setdefault("endpoint_url", opts.pop("endpoint_url"))
        opts["client_kwargs"] = client
    return opts


def filesystem(url: str, storage: dict | None = None):
    """(fsspec filesystem, path without the protocol) for a remote URL."""
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(url, **options_for(url, storage))
    except (ImportError, ValueError) as e:
        raise RemoteError(f"{url}: no file system for {protocol(url)}:// ({e})") from e
    return fs, path


# per protocol: where its endpoint and its credentials come from, for the one line a failure gives
_HINTS = {
    "s3": ("AWS_ENDPOINT_URL or storage.s3.endpoint_url", "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, ~/.aws"),
    "hf": ("HF_ENDPOINT or storage.hf.endpoint", "HF_TOKEN or `huggingface-cli login`"),
}


def _explain(url: str, e: BaseException) -> str:
    text = f"{type(e).__name__}: {e}"
    low = text.lower()
    proto = protocol(url)
    endpoint, credentials = _HINTS.get("s3" if proto == "s3a" else proto, (f"storage.{proto}", f"storage.{proto}"))
    if any(k in low for k in ("could not connect", "connect timeout", "connection refused", "endpoint")):
        why = f"the endpoint cannot be reached (check {endpoint})"
    elif any(k in low for k in ("credentials", "accessdenied", "access denied", "forbidden", "signature")):
        why = f"access denied: missing or wrong credentials ({credentials})"
    elif "nosuchbucket" in low or "bucket does not exist" in low:
        why = "no such bucket"
    else:
        why = text.splitlines()[0][:200]
    return f"{url}: {why}"


def call(url: str, fn, *args, **kwargs):
    """fn(*args) with any storage error turned into one RemoteError line naming the URL and the likely cause."""
    try:
        return fn(*args, **kwargs)
    except RemoteError:
        raise
    except FileNotFoundError:
        raise
    except Exception as e:  # botocore, aiohttp and fsspec raise many kinds; the user needs one line
        raise RemoteError(_explain(url, e)) from e


def check_reachable(url: str, storage: dict | None = None) -> None:
    """Fail early, in one line, when the bucket of `url` cannot be listed (endpoint, credentials, bucket)."""
    fs, path = filesystem(url, storage)
    call(url, fs.ls, _bucket(url, path), detail=False)


def _bucket(url: str, path: str) -> str:
    """The top of a URL's store: the bucket, or on the Hugging Face Hub the repository (datasets/owner/name,
    owner/name for a model), whose listing is cheap."""
    parts = path.split("/")
    if protocol(url) == "hf":
        return "/".join(parts[: 3 if parts[0] in ("datasets", "spaces") else 2])
    return parts[0]


def _cache_dir(kind: str, url: str) -> str:
    """One folder per URL under the toolkit's cache: its last path part and a hash of the whole URL."""
    url = url.rstrip("/")
    key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    return str(cache_root() / kind / f"{url.rsplit('/', 1)[-1] or 'root'}-{key}")


def mirror_dir(url: str) -> str:
    """The local folder a remote output is built in."""
    return _cache_dir("remote", url)


def _walk_local(root: str) -> dict[str, tuple[int, float]]:
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            st = os.stat(p)
            out[os.path.relpath(p, root)] = (st.st_size, st.st_mtime)
    return out


def listing(local: str, skip=()) -> dict[str, list]:
    """key (the object's path under the prefix) -> [size, mtime] of every file under a local folder, but those
    under a top-level name in `skip` and copies still being written (.part, .tmp)."""
    here = _walk_local(local) if os.path.isdir(local) else {}
    return {
        rel.replace(os.sep, "/"): [size, mtime]
        for rel, (size, mtime) in here.items()
        if rel.split(os.sep, 1)[0] not in skip and not rel.endswith((".part", ".tmp"))
    }


def _objects(url: str, fs, path: str) -> dict[str, dict]:
    """relative path -> fsspec's details of every object under a prefix ({} when there is none)."""
    path = path.rstrip("/")
    try:
        found = call(url, fs.find, path, detail=True)
    except FileNotFoundError:
        return {}
    return {k[len(path) + 1 :]: v for k, v in found.items() if k.startswith(path + "/")}


def remote_files(url: str, storage: dict | None = None) -> dict[str, int]:
    """relative path -> size of every object under a remote prefix ({} when there is none)."""
    fs, path = filesystem(url, storage)
    return {k: int(v.get("size") or 0) for k, v in _objects(url, fs, path).items()}


def _download(url: str, fs, source: str, dest: str) -> None:
    """One object to a local file, written aside and renamed: a copy cut short is never taken for whole."""
    os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
    call(url, fs.get_file, source, dest + ".part")
    os.replace(dest + ".part", dest)


def fetch(url: str, local: str, storage: dict | None, keys) -> None:
    """Copy the objects `keys` under `url` into the local folder, in place of the files there."""
    fs, path = filesystem(url, storage)
    for key in keys:
        _download(url, fs, f"{path.rstrip('/')}/{key}", os.path.join(local, key.replace("/", os.sep)))


def pull(url: str, local: str, storage: dict | None = None, skip=(), wanted=None) -> int:
    """Copy into the local folder the objects under `url` that it lacks (a file it has is newer or the same);
    files under a top-level name in `skip`, or whose key `wanted(key)` refuses, are left. Returns the number of
    files copied."""
    have = _walk_local(local) if os.path.isdir(local) else {}
    lacking = [
        rel
        for rel in sorted(remote_files(url, storage))
        if rel.split("/", 1)[0] not in skip and rel.replace("/", os.sep) not in have and (wanted or bool)(rel)
    ]
    fetch(url, local, storage, lacking)
    return len(lacking)


def push(local: str, url: str, storage: dict | None, before: dict, delete_under=(), skip=(), order=None) -> dict:
    """Copy every local file that changed since `before` (key -> [size, mtime] as last copied) or that the
    prefix lacks; then delete objects that are not local, but only under the top-level names in `delete_under`
    (a build's own entries, e.g. its scratch once the build removed it). Files under a top-level name in
    `skip` stay local; `order(rel)` ranks the files (lower first). Returns {"copied": n, "state": the new
    `before`}."""
    there = remote_files(url, storage)
    state = listing(local, skip)
    changed = [k for k, (size, mtime) in state.items() if there.get(k) != size or before.get(k) != [size, mtime]]
    _upload(local, url, storage, changed, order)
    delete(url, storage, [k for k in there if k not in state and k.split("/", 1)[0] in set(delete_under)])
    return {"copied": len(changed), "state": state}


def send(local: str, url: str, storage: dict | None, before: dict, skip=(), order=None) -> dict:
    """What one writer of a shared prefix changed in its own copy of it since `before` (its `listing` then):
    the objects of the files it deleted are deleted first, then the files it wrote are copied up (`order` as
    for push). Nothing is listed in the bucket: the other writers' objects are never touched. Returns
    {"sent": {key: [size, mtime]}, "gone": [keys]}."""
    now = listing(local, skip)
    gone = [k for k in before if k not in now]
    delete(url, storage, gone)
    sent = {k: v for k, v in now.items() if before.get(k) != v}
    _upload(local, url, storage, list(sent), order)
    return {"sent": sent, "gone": gone}


def _upload(local: str, url: str, storage: dict | None, keys: list[str], order=None) -> None:
    fs, path = filesystem(url, storage)
    for key in sorted(keys, key=lambda k: ((order or (lambda _: 0))(k.replace("/", os.sep)), k)):
        call(url, fs.put_file, os.path.join(local, key.replace("/", os.sep)), f"{path.rstrip('/')}/{key}")


def delete(url: str, storage: dict | None, keys: list[str]) -> None:
    """Delete the objects `keys` under `url` (one that is not there is no error)."""
    if keys:
        fs, path = filesystem(url, storage)
        call(url, fs.rm, [f"{path.rstrip('/')}/{k}" for k in keys])


def size(path: str, storage: dict | None = None) -> int:
    """Bytes of a local file or a remote object."""
    if not is_remote(path):
        return os.path.getsize(path)
    fs, p = filesystem(path, storage)
    return int(call(path, fs.size, p))


def common_dir(paths: list[str]) -> str:
    """The deepest folder holding every path, for local paths and URLs alike (os.path.commonpath would fold
    the '//' of a URL)."""
    if not paths:
        return "."
    if not any(is_remote(p) for p in paths):
        return os.path.commonpath([os.path.dirname(p) for p in paths])
    dirs = [p.rsplit("/", 1)[0].split("/") for p in paths]
    common = []
    for parts in zip(*dirs):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return "/".join(common)


def _glob_root(url: str) -> tuple[str, str]:
    """(prefix without glob characters, the rest): s3://b/out/kept/*.parquet -> (s3://b/out/kept, *.parquet)."""
    parts = url.split("/")
    for i, p in enumerate(parts):
        if any(c in p for c in "*?["):
            return "/".join(parts[:i]), "/".join(parts[i:])
    return url.rstrip("/"), ""


def readable(path: str, storage: dict | None = None) -> str:
    """A local path that holds what `path` holds: `path` itself when local; for a URL (a build's prefix, a
    folder of it, or a glob under one), a read-only copy of the objects under it in the toolkit's cache, made
    to match the bucket (files gone from it are removed from the copy). Nothing is written to the bucket."""
    if not is_remote(path):
        return path
    root, rest = _glob_root(path)
    fs, p = filesystem(root, storage)
    local = _cache_dir("remote-read", root)
    if call(root, fs.isfile, p):  # one object
        dest = os.path.join(local, p.rsplit("/", 1)[-1])
        _download(root, fs, p, dest)
        return dest
    base = p.rstrip("/") + "/"
    objects = {
        k: [int(v.get("size") or 0), str(v.get("ETag") or v.get("LastModified") or "")]
        for k, v in _objects(root, fs, p).items()
    }
    if not objects:
        raise FileNotFoundError(f"{root}: no such folder or object")
    seen_file = os.path.join(local, SEEN)
    try:
        with open(seen_file, encoding="utf-8") as f:
            seen = json.load(f)
    except (OSError, ValueError):
        seen = {}
    have = _walk_local(local) if os.path.isdir(local) else {}
    for rel in set(have) - {k.replace("/", os.sep) for k in objects} - {SEEN}:
        os.remove(os.path.join(local, rel))
    n = 0
    for rel, tag in sorted(objects.items()):
        dest = os.path.join(local, rel.replace("/", os.sep))
        if seen.get(rel) == tag and os.path.exists(dest):
            continue
        _download(root, fs, base + rel, dest)
        n += 1
    with open(seen_file, "w", encoding="utf-8") as f:
        json.dump(objects, f)
    if n:
        print(f"{root}: {n} files copied into {local}", file=sys.stderr, flush=True)
    return os.path.join(local, rest) if rest else local


def open_file(path: str, storage: dict | None = None, mode: str = "rb"):
    """A local file or a remote object opened for reading (remote: a seekable fsspec file, read in blocks)."""
    if not is_remote(path):
        return open(path, mode)
    fs, p = filesystem(path, storage)
    return call(path, fs.open, p, mode)


def open_text(path: str, storage: dict | None = None):
    """A local file or a remote object as UTF-8 text, decompressed as its name says (.gz, .zst); undecodable
    bytes become U+FFFD, as corpus.core.files.open_text reads a local file. Closing it closes every layer."""
    from fsspec.core import OpenFile
    from fsspec.utils import infer_compression

    if not is_remote(path):
        return open_local_text(path)
    fs, p = filesystem(path, storage)
    opened = OpenFile(fs, p, mode="rt", compression=infer_compression(p), encoding="utf-8", errors="replace")
    return call(path, opened.open)
