"""Fixtures for the application tests: a private cache and a local HTTP file server."""
import functools
import http.server
import socket
import threading

import pytest


@pytest.fixture
def cornu_home(tmp_path, monkeypatch):
    """An empty ``$CORNU_HOME`` (the weights cache) and no mirror."""
    home = tmp_path / "cornu_home"
    monkeypatch.setenv("CORNU_HOME", str(home))
    monkeypatch.delenv("CORNU_DATASETS_MIRROR", raising=False)
    from cornu.utils import file_utils

    monkeypatch.setattr(file_utils, "RETRY_DELAY", 0.0)
    return home


@pytest.fixture
def http_server(tmp_path):
    """Serve a fresh folder at ``http://127.0.0.1:<port>/``; yields ``(folder, base_url)``."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def closed_url():
    """A URL on 127.0.0.1 where nothing listens (an unreachable origin)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
