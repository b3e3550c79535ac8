"""cornu.utils.get_file against a real HTTP server on 127.0.0.1 (no mocks, no backend)."""
import errno
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import threading
import urllib.parse
import zipfile
from pathlib import Path

import pytest

from cornu.utils import get_file
from cornu.utils.file_utils import DownloadError, extract_archive, hash_file, validate_file


# --------------------------------------------------------------------------- #
# A small HTTP server: static files, optional Range support, injected failures
# --------------------------------------------------------------------------- #
class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection

    def log_message(self, *args):  # keep the test output clean
        pass

    def do_GET(self):
        srv = self.server
        with srv.lock:
            srv.requests.append({"path": self.path, "range": self.headers.get("Range")})
            fail = srv.fail_first > 0
            if fail:
                srv.fail_first -= 1
            cut = not fail and srv.cut_first > 0
            if cut:
                srv.cut_first -= 1
        if fail:
            self.send_error(503, "Service Unavailable (injected)")
            return
        rel = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path).lstrip("/")
        path = os.path.join(srv.root, rel)
        if not rel or not os.path.isfile(path):
            self.send_error(404, "Not Found")
            return
        with open(path, "rb") as f:
            data = f.read()
        etag = '"%s"' % hashlib.md5(data).hexdigest()
        start = 0
        requested = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        if requested and srv.ranges and (if_range is None or if_range == etag):
            match = re.fullmatch(r"bytes=(\d+)-", requested)
            start = int(match.group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        if srv.ranges:
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("ETag", etag)
        self.end_headers()
        if cut:  # send half of the body, then drop the connection
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            if srv.change_after_cut is not None:  # a new version appears meanwhile
                with open(path, "wb") as f:
                    f.write(srv.change_after_cut)
            return
        self.wfile.write(body)


class Server:
    def __init__(self, root, ranges=True, fail_first=0, cut_first=0, change_after_cut=None):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.root = str(root)
        self.httpd.ranges = ranges
        self.httpd.fail_first = fail_first
        self.httpd.cut_first = cut_first
        self.httpd.change_after_cut = change_after_cut
        self.httpd.requests = []
        self.httpd.lock = threading.Lock()
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    @property
    def requests(self):
        return self.httpd.requests

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def serve():
    """``serve(root, ranges=True, fail_first=0, cut_first=0)`` starts a server for the test."""
    servers = []

    def start(root, **options):
        server = Server(root, **options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture(autouse=True)
def _no_mirror(monkeypatch):
    monkeypatch.delenv("CORNU_DATASETS_MIRROR", raising=False)


@pytest.fixture
def site(tmp_path):
    """A folder of files to serve, with a 300 kB payload (several read chunks)."""
    root = tmp_path / "site"
    root.mkdir()
    payload = os.urandom(300_000)
    (root / "data.bin").write_bytes(payload)
    return root, payload


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _md5(data):
    return hashlib.md5(data).hexdigest()


def _closed_port_url(name="data.bin"):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there any more
    return f"http://127.0.0.1:{port}/{name}"


def _leftovers(folder):
    return [p for p in os.listdir(folder) if ".cornu-partial-" in p]


# --------------------------------------------------------------------------- #
# Downloading, hashing and the cache
# --------------------------------------------------------------------------- #
def test_download_verifies_sha256_and_returns_cache_path(serve, site, tmp_path):
    root, payload = site
    server = serve(root)
    cache = tmp_path / "cache"
    path = get_file("data.bin", origin=server.url + "data.bin",
                    file_hash=_sha256(payload), cache_dir=cache)
    assert path == str(cache / "datasets" / "data.bin")
    assert Path(path).read_bytes() == payload
    assert _leftovers(cache / "datasets") == []
    assert len(server.requests) == 1


@pytest.mark.parametrize("how", ["file_hash_auto", "hash_algorithm_md5", "md5_hash_alias"])
def test_download_verifies_md5(serve, site, tmp_path, how):
    root, payload = site
    server = serve(root)
    kwargs = {
        "file_hash_auto": {"file_hash": _md5(payload)},
        "hash_algorithm_md5": {"file_hash": _md5(payload), "hash_algorithm": "md5"},
        "md5_hash_alias": {"md5_hash": _md5(payload)},
    }[how]
    path = get_file("data.bin", origin=server.url + "data.bin", cache_dir=tmp_path, **kwargs)
    assert Path(path).read_bytes() == payload


def test_hash_helpers(tmp_path):
    f = tmp_path / "x"
    f.write_bytes(b"cornu")
    assert hash_file(f) == _sha256(b"cornu")
    assert hash_file(f, "md5") == _md5(b"cornu")
    assert validate_file(f, _sha256(b"cornu"))
    assert validate_file(f, _md5(b"cornu"))
    assert validate_file(f, _sha256(b"cornu").upper())
    assert not validate_file(f, _sha256(b"other"))
    with pytest.raises(ValueError, match="hash_algorithm"):
        validate_file(f, _md5(b"cornu"), algorithm="sha1")


def test_cached_file_is_reused_without_a_request(serve, site, tmp_path):
    root, payload = site
    server = serve(root)
    first = get_file("data.bin", origin=server.url + "data.bin",
                     file_hash=_sha256(payload), cache_dir=tmp_path)
    second = get_file("data.bin", origin=server.url + "data.bin",
                      file_hash=_sha256(payload), cache_dir=tmp_path)
    third = get_file("data.bin", origin=server.url + "data.bin", cache_dir=tmp_path)  # no hash
    assert first == second == third
    assert len(server.requests) == 1


def test_cornu_home_and_cache_subdir(serve, site, tmp_path, monkeypatch):
    root, payload = site
    server = serve(root)
    monkeypatch.setenv("CORNU_HOME", str(tmp_path / "home"))
    path = get_file(origin=server.url + "data.bin")  # fname from the URL
    assert path == str(tmp_path / "home" / "datasets" / "data.bin")
    path = get_file("renamed.bin", origin=server.url + "data.bin", cache_subdir="models")
    assert path == str(tmp_path / "home" / "models" / "renamed.bin")
    absolute = tmp_path / "elsewhere"
    path = get_file("data.bin", origin=server.url + "data.bin", cache_subdir=str(absolute))
    assert path == str(absolute / "data.bin")
    assert Path(path).read_bytes() == payload


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="origin"):
        get_file("x")
    with pytest.raises(ValueError, match="cache_dir"):
        get_file(f"sub{os.sep}x", origin="http://127.0.0.1:9/x", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="file name"):
        get_file(origin="http://127.0.0.1:9/", cache_dir=tmp_path)


def test_corrupt_cached_file_is_downloaded_again(serve, site, tmp_path, capsys):
    root, payload = site
    server = serve(root)
    target = tmp_path / "datasets" / "data.bin"
    target.parent.mkdir(parents=True)
    target.write_bytes(payload[:1000])  # truncated copy
    path = get_file("data.bin", origin=server.url + "data.bin",
                    file_hash=_sha256(payload), cache_dir=tmp_path)
    assert Path(path).read_bytes() == payload
    assert len(server.requests) == 1
    assert "does not match" in capsys.readouterr().err


def test_mismatch_raises_and_keeps_the_good_cached_file(serve, site, tmp_path):
    root, payload = site
    server = serve(root)
    good_hash = _sha256(payload)
    path = get_file("data.bin", origin=server.url + "data.bin", file_hash=good_hash,
                    cache_dir=tmp_path)
    (root / "data.bin").write_bytes(b"tampered" + payload[8:])  # the origin now serves bad bytes
    bad_hash = _sha256(b"tampered" + payload[8:])
    with pytest.raises(ValueError) as info:
        get_file("data.bin", origin=server.url + "data.bin", file_hash=good_hash,
                 cache_dir=tmp_path, force_download=True)
    message = str(info.value)
    assert good_hash in message and bad_hash in message and "sha256" in message
    assert "left untouched" in message
    assert Path(path).read_bytes() == payload
    assert _leftovers(tmp_path / "datasets") == []


def test_mismatch_on_first_download_leaves_nothing(serve, site, tmp_path):
    root, payload = site
    server = serve(root)
    with pytest.raises(ValueError, match=_md5(payload)):
        get_file("data.bin", origin=server.url + "data.bin", file_hash="0" * 32,
                 cache_dir=tmp_path)
    assert os.listdir(tmp_path / "datasets") == []


def test_force_download_fetches_again(serve, site, tmp_path):
    root, payload = site
    server = serve(root)
    get_file("data.bin", origin=server.url + "data.bin", cache_dir=tmp_path)
    (root / "data.bin").write_bytes(b"new version")
    path = get_file("data.bin", origin=server.url + "data.bin", cache_dir=tmp_path,
                    force_download=True)
    assert Path(path).read_bytes() == b"new version"
    assert len(server.requests) == 2


def test_progress_is_reported_on_stderr(serve, site, tmp_path, capsys):
    root, payload = site
    server = serve(root)
    get_file("data.bin", origin=server.url + "data.bin", cache_dir=tmp_path)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"Downloading data from {server.url}data.bin" in captured.err
    assert f"{len(payload)}/{len(payload)} bytes (100%)" in captured.err


def test_file_url_origin(site, tmp_path):
    root, payload = site
    path = get_file("copy.bin", origin=(root / "data.bin").as_uri(),
                    file_hash=_sha256(payload), cache_dir=tmp_path / "cache")
    assert Path(path).read_bytes() == payload
    with pytest.raises(DownloadError, match="missing.bin"):
        get_file("missing.bin", origin=(root / "missing.bin").as_uri(), cache_dir=tmp_path)


# --------------------------------------------------------------------------- #
# Retries, resume, errors
# --------------------------------------------------------------------------- #
def test_retries_after_server_errors(serve, site, tmp_path, capsys):
    root, payload = site
    server = serve(root, fail_first=2)
    path = get_file("data.bin", origin=server.url + "data.bin",
                    file_hash=_sha256(payload), cache_dir=tmp_path)
    assert Path(path).read_bytes() == payload
    assert len(server.requests) == 3
    assert "retrying" in capsys.readouterr().err


def test_gives_up_after_three_attempts(serve, site, tmp_path):
    root, payload = site
    server = serve(root, fail_first=5)
    with pytest.raises(DownloadError) as info:
        get_file("data.bin", origin=server.url + "data.bin", cache_dir=tmp_path)
    assert "503" in str(info.value) and "3 attempts" in str(info.value)
    assert len(server.requests) == 3
    assert os.listdir(tmp_path / "datasets") == []


def test_resumes_a_cut_download_with_range(serve, site, tmp_path):
    root, payload = site
    server = serve(root, ranges=True, cut_first=1)
    path = get_file("data.bin", origin=server.url + "data.bin",
                    file_hash=_sha256(payload), cache_dir=tmp_path)
    assert Path(path).read_bytes() == payload
    assert len(server.requests) == 2
    assert server.requests[0]["range"] is None
    resumed = server.requests[1]["range"]
    assert resumed is not None
    offset = int(re.fullmatch(r"bytes=(\d+)-", resumed).group(1))
    assert 0 < offset < len(payload)


def test_resume_fetches_the_whole_file_when_it_changed_meanwhile(serve, site, tmp_path):
    root, payload = site
    new_version = os.urandom(200_000)
    server = serve(root, ranges=True, cut_first=1, change_after_cut=new_version)
    path = get_file("data.bin", origin=server.url + "data.bin", cache_dir=tmp_path)
    assert Path(path).read_bytes() == new_version  # not old half + new tail
    assert server.requests[1]["range"] is not None


def test_restarts_a_cut_download_when_ranges_are_not_supported(serve, site, tmp_path):
    root, payload = site
    server = serve(root, ranges=False, cut_first=2)
    path = get_file("data.bin", origin=server.url + "data.bin",
                    file_hash=_sha256(payload), cache_dir=tmp_path)
    assert Path(path).read_bytes() == payload
    assert len(server.requests) == 3
    assert _leftovers(tmp_path / "datasets") == []


def test_http_404_is_not_retried(serve, site, tmp_path):
    root, _ = site
    server = serve(root)
    with pytest.raises(DownloadError, match="404") as info:
        get_file("nope.bin", origin=server.url + "nope.bin", cache_dir=tmp_path)
    assert server.url + "nope.bin" in str(info.value)
    assert len(server.requests) == 1


def test_offline_error_names_url_mirror_and_cache_path(tmp_path):
    url = _closed_port_url()
    with pytest.raises(DownloadError) as info:
        get_file("data.bin", origin=url, file_hash="a" * 64, cache_dir=tmp_path)
    message = str(info.value)
    assert isinstance(info.value, OSError)
    assert url in message
    assert "CORNU_DATASETS_MIRROR" in message
    assert str(tmp_path / "datasets" / "data.bin") in message
    assert "a" * 64 in message
    assert os.listdir(tmp_path / "datasets") == []


def _can_mount_tmpfs():
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
         "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs \"$d\" && umount \"$d\"; "
         "rc=$?; rmdir \"$d\" 2>/dev/null; exit $rc"],
        capture_output=True, timeout=30,
    )
    return probe.returncode == 0


_DISK_FULL_CHILD = r"""
import json, os, sys
from cornu.utils import get_file
cache = sys.argv[1]
try:
    get_file("data.bin", origin=sys.argv[2], cache_dir=cache)
    result = {"raised": None}
except OSError as err:
    result = {"raised": type(err).__name__, "errno": err.errno, "message": str(err)}
result["left"] = os.listdir(os.path.join(cache, "datasets"))
print(json.dumps(result))
"""


def test_disk_full_says_so_and_leaves_no_partial_file(serve, site, tmp_path):
    """A real full disk: a 64 kB tmpfs mounted in a private mount namespace."""
    if not _can_mount_tmpfs():
        pytest.skip("cannot mount a small tmpfs here (needs unshare with user namespaces)")
    root, _ = site  # 300 kB: does not fit in 64 kB
    server = serve(root)
    mountpoint = tmp_path / "small"
    mountpoint.mkdir()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    script = (f'mount -t tmpfs -o size=64k tmpfs "{mountpoint}" && '
              f'exec "{sys.executable}" -c "$0" "{mountpoint}" "{server.url}data.bin"')
    child = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script,
         _DISK_FULL_CHILD],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert child.returncode == 0, child.stderr
    result = json.loads(child.stdout.strip().splitlines()[-1])
    assert result["raised"] == "OSError"
    assert result["errno"] == errno.ENOSPC
    assert "No space left on device" in result["message"]
    assert "data.bin" in result["message"]
    assert result["left"] == []


# --------------------------------------------------------------------------- #
# Extraction
# --------------------------------------------------------------------------- #
def _tar_bytes(members, mode="w:gz"):
    """``members``: list of (TarInfo-kwargs, data-or-None)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for kwargs, data in members:
            info = tarfile.TarInfo(kwargs.pop("name"))
            for key, value in kwargs.items():
                setattr(info, key, value)
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return buf.getvalue()


def _good_tar():
    return _tar_bytes([
        ({"name": "pkg", "type": tarfile.DIRTYPE, "mode": 0o755}, None),
        ({"name": "pkg/a.txt"}, b"alpha"),
        ({"name": "pkg/sub/b.txt"}, b"beta"),
        ({"name": "pkg/link", "type": tarfile.SYMTYPE, "linkname": "sub/b.txt"}, None),
        ({"name": "pkg/sub/up", "type": tarfile.SYMTYPE, "linkname": "../a.txt"}, None),
        ({"name": "pkg/hard", "type": tarfile.LNKTYPE, "linkname": "pkg/a.txt"}, None),
    ])


def test_extract_tar_gz(serve, tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    data = _good_tar()
    (root / "pkg.tar.gz").write_bytes(data)
    server = serve(root)
    cache = tmp_path / "cache"
    out = get_file("pkg.tar.gz", origin=server.url + "pkg.tar.gz", extract=True,
                   file_hash=_sha256(data), cache_dir=cache)
    out = Path(out)
    assert out == cache / "datasets" / "pkg_extracted"
    assert (cache / "datasets" / "pkg.tar.gz").read_bytes() == data
    assert (out / "pkg" / "a.txt").read_bytes() == b"alpha"
    assert (out / "pkg" / "sub" / "b.txt").read_bytes() == b"beta"
    assert (out / "pkg" / "link").read_bytes() == b"beta"
    assert (out / "pkg" / "sub" / "up").read_bytes() == b"alpha"
    assert (out / "pkg" / "hard").read_bytes() == b"alpha"
    # Without fname: the extraction folder takes the URL's name, the archive gets "_archive".
    out2 = get_file(origin=server.url + "pkg.tar.gz", untar=True, cache_dir=cache)
    assert Path(out2) == cache / "datasets" / "pkg.tar.gz"
    assert (cache / "datasets" / "pkg.tar.gz_archive").is_file()
    assert (Path(out2) / "pkg" / "a.txt").read_bytes() == b"alpha"
    assert _leftovers(cache / "datasets") == []


def test_extract_zip(serve, tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("images/", "")
        zf.writestr("images/one.txt", b"1")
        zf.writestr("top.txt", b"top")
    (root / "bundle.zip").write_bytes(buf.getvalue())
    server = serve(root)
    out = Path(get_file("bundle", origin=server.url + "bundle.zip", extract=True,
                        cache_dir=tmp_path / "cache"))
    assert out == tmp_path / "cache" / "datasets" / "bundle"
    assert (out / "images" / "one.txt").read_bytes() == b"1"
    assert (out / "top.txt").read_bytes() == b"top"
    assert (tmp_path / "cache" / "datasets" / "bundle_archive").is_file()


@pytest.mark.parametrize("case", [
    "dotdot", "absolute", "symlink_escape", "symlink_absolute", "hardlink_escape",
    "symlink_chain", "device",
])
def test_unsafe_tar_is_refused(tmp_path, case):
    members = {
        "dotdot": [({"name": "ok.txt"}, b"ok"), ({"name": "../evil"}, b"evil")],
        "absolute": [({"name": str(tmp_path / "evil")}, b"evil")],
        "symlink_escape": [
            ({"name": "evil", "type": tarfile.SYMTYPE, "linkname": "../../evil"}, None),
        ],
        "symlink_absolute": [
            ({"name": "evil", "type": tarfile.SYMTYPE, "linkname": str(tmp_path)}, None),
        ],
        "hardlink_escape": [
            ({"name": "evil", "type": tarfile.LNKTYPE, "linkname": "../outside.txt"}, None),
        ],
        # Each link looks harmless alone; together "b" resolves to the parent folder.
        "symlink_chain": [
            ({"name": "b", "type": tarfile.SYMTYPE, "linkname": "a/.."}, None),
            ({"name": "a", "type": tarfile.SYMTYPE, "linkname": "."}, None),
        ],
        "device": [({"name": "dev", "type": tarfile.CHRTYPE}, None)],
    }[case]
    archive = tmp_path / "evil.tar.gz"
    archive.write_bytes(_tar_bytes(members))
    (tmp_path / "outside.txt").write_bytes(b"precious")
    target = tmp_path / "out" / "extracted"
    with pytest.raises(ValueError, match="Refusing to extract"):
        extract_archive(archive, target)
    assert not target.exists()
    assert not (tmp_path / "evil").exists()
    assert (tmp_path / "outside.txt").read_bytes() == b"precious"
    assert _leftovers(tmp_path / "out") == []


def test_unsafe_archive_through_get_file(serve, tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    (root / "evil.tar.gz").write_bytes(_tar_bytes([({"name": "../evil"}, b"evil")]))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../evil", b"evil")
    (root / "evil.zip").write_bytes(buf.getvalue())
    server = serve(root)
    cache = tmp_path / "cache"
    for name in ("evil.tar.gz", "evil.zip"):
        with pytest.raises(ValueError, match=r"'\.\.'"):
            get_file(name, origin=server.url + name, extract=True, cache_dir=cache)
    assert not (cache / "evil").exists() and not (tmp_path / "evil").exists()
    assert not (cache / "datasets" / "evil_extracted").exists()


def test_not_an_archive_warns(serve, site, tmp_path):
    root, _ = site
    server = serve(root)
    with pytest.warns(UserWarning, match="Could not extract"):
        get_file("data", origin=server.url + "data.bin", extract=True, cache_dir=tmp_path)
