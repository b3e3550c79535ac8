"""Fixtures for cornu.datasets tests: an isolated cache, the shared data folder, a file server."""
import http.server
import threading
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def cornu_home(tmp_path, monkeypatch):
    """Every test gets its own empty cache and no mirror unless it sets one."""
    home = tmp_path / "cornu_home"
    monkeypatch.setenv("CORNU_HOME", str(home))
    monkeypatch.delenv("CORNU_DATASETS_MIRROR", raising=False)
    return home


@pytest.fixture
def shared_data():
    """``../shared/data`` beside the project: real copies of the datasets."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"no offline dataset copies at {SHARED_DATA}")
    return SHARED_DATA


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        super().do_GET()


@pytest.fixture
def serve():
    """``serve(folder)`` serves a folder on 127.0.0.1; the server records request paths."""
    servers = []

    def start(folder):
        handler = lambda *a, **kw: _QuietHandler(*a, directory=str(folder), **kw)  # noqa: E731
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        httpd.daemon_threads = True
        httpd.requests = []
        httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/"
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                  daemon=True)
        thread.start()
        servers.append((httpd, thread))
        return httpd

    yield start
    for httpd, thread in servers:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
