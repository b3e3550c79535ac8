"""POST the epoch logs to a server."""
import json
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np

from cornu import CornuWarning
from cornu.engine.callbacks import Callback


class RemoteMonitor(Callback):
    """Send the logs of every epoch to ``root + path`` with an HTTP POST.

    Uses only the standard library (``urllib``).  A failure (refused connection,
    timeout, HTTP error) is a warning: training goes on.

    Args:
        root: the server's root URL.
        path: the path the logs are posted to.
        field: the form field holding the JSON-encoded logs (when
            ``send_as_json=False``).
        headers: extra HTTP headers (a dict).
        send_as_json: post the logs as an ``application/json`` body instead of a
            form (``application/x-www-form-urlencoded``, ``{field: json}``).
        timeout: seconds to wait for the server (a cornu addition).
    """

    _chief_only = True  # writes files / sends logs: the chief process only

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data",
                 headers=None, send_as_json=False, timeout=10.0):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json
        self.timeout = timeout

    def on_epoch_end(self, epoch, logs=None):
        send = {"epoch": epoch}
        for key, value in (logs or {}).items():
            if isinstance(value, (np.ndarray, np.generic)):
                value = value.item() if value.size == 1 else value.tolist()
            send[key] = value
        headers = dict(self.headers or {})
        if self.send_as_json:
            body = json.dumps(send).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode("utf-8")
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = urllib.request.Request(self.root + self.path, data=body, headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except (urllib.error.URLError, OSError, ValueError) as err:
            warnings.warn(
                f"Could not reach RemoteMonitor root server at {self.root} ({err})",
                stacklevel=2, category=CornuWarning)

    def get_config(self):
        return {"root": self.root, "path": self.path, "field": self.field,
                "headers": self.headers, "send_as_json": self.send_as_json}
