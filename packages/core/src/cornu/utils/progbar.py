"""A Keras-style text progress bar."""
import math
import sys
import time

from cornu.utils import io_utils


def _format_value(value):
    value = float(value)
    if value != 0 and (abs(value) >= 1e4 or abs(value) < 1e-3):
        return f"{value:.4e}"
    return f"{value:.4f}"


def _format_time(seconds):
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


def _format_per_step(seconds, unit):
    if seconds >= 1:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


class Progbar:
    """Displays ``current/target ━━━━ ETA time/step - metric: value ...``.

    Args:
        target: the total number of steps, or None if unknown.
        width: the bar width in characters.
        verbose: 1 draws a live bar, 2 prints only the final line, 0 nothing.
        interval: the minimum seconds between redraws.
        stateful_metrics: names of metrics shown as-is rather than averaged over steps
            (every other metric is averaged).
        stateless_metrics: the other way round: only these are averaged, every other
            metric is shown as-is.  Give one of the two at most.  On the final update
            an averaged metric shows the value passed with it (the epoch's value that
            ``fit`` reports), as Keras does.
        unit_name: the unit shown per step ("step", "sample").
        file: a stream to write to; by default the bar goes through
            ``cornu.utils.io_utils.print_msg``: to stdout, or to the ``"cornu"``
            logger when interactive logging is off (one record per finished line).
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 stateless_metrics=None, unit_name="step", file=None):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Progbar: give stateful_metrics (every other metric is averaged) or "
                "stateless_metrics (only these are averaged), not both; received "
                f"stateful_metrics={stateful_metrics!r}, "
                f"stateless_metrics={stateless_metrics!r}")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        if stateless_metrics is not None:
            self.stateful_metrics, self.stateless_metrics = None, set(stateless_metrics)
        else:
            self.stateful_metrics, self.stateless_metrics = set(stateful_metrics or ()), None
        self.file = file
        stream = file if file is not None else sys.stdout
        self._dynamic_display = (
            (hasattr(stream, "isatty") and stream.isatty())
            or "ipykernel" in sys.modules
        )
        self._values = {}
        self._values_order = []
        self._start = time.time()
        self._last_update = 0.0
        self._seen_so_far = 0
        self._prev_width = 0

    def update(self, current, values=None, finalize=None):
        """Set the progress to ``current`` and record ``values`` (name, value) pairs."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or ():
            if name not in self._values_order:
                self._values_order.append(name)
            if not self._averaged(name) or finalize:  # the final line: the value given
                self._values[name] = [value, 1]
            else:
                steps = max(current - self._seen_so_far, 1)
                total, count = self._values.get(name, [0.0, 0])
                self._values[name] = [total + float(value) * steps, count + steps]
        self._seen_so_far = current
        if self.verbose == 0:
            return
        now = time.time()
        if self.verbose == 1:
            if not finalize and now - self._last_update < self.interval:
                return
            self._last_update = now
            line = self._line(current, now, finalize)
            if self._dynamic_display and self._interactive():
                pad = max(self._prev_width - len(line), 0)
                self._write("\r" + line + " " * pad + ("\n" if finalize else ""))
                self._prev_width = len(line)
            elif finalize:
                self._write(line + "\n")
        elif self.verbose == 2 and finalize:
            elapsed = now - self._start
            count = self.target or current
            per_step = elapsed / max(count, 1)
            parts = [f"{count}/{count}" if self.target else f"{current}",
                     _format_time(elapsed), _format_per_step(per_step, self.unit_name)]
            parts += [f"{k}: {self._value(k)}" for k in self._values_order]
            self._write(" - ".join(parts) + "\n")

    def _interactive(self):
        return self.file is not None or io_utils.is_interactive_logging_enabled()

    def _write(self, text):
        if self.file is None:
            io_utils.print_msg(text, line_break=False)
        else:
            self.file.write(text)
            self.file.flush()

    def add(self, n, values=None):
        self.update(self._seen_so_far + n, values)

    def _averaged(self, name):
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in self.stateless_metrics

    def _value(self, name):
        total, count = self._values[name]
        return _format_value(total / max(count, 1))

    def _line(self, current, now, finalize):
        elapsed = now - self._start
        if self.target is not None:
            digits = int(math.log10(self.target)) + 1 if self.target > 0 else 1
            head = f"{current:{digits}d}/{self.target}"
            done = int(self.width * current / self.target) if self.target else self.width
            bar = "━" * done + "─" * (self.width - done) if not finalize else "━" * self.width
            head += " " + bar
        else:
            head = f"{current}"
        per_step = elapsed / max(current, 1)
        if finalize or self.target is None:
            timing = f"{_format_time(elapsed)} {_format_per_step(per_step, self.unit_name)}"
        else:
            eta = per_step * (self.target - current)
            timing = f"{_format_time(eta)} {_format_per_step(per_step, self.unit_name)}"
        parts = [head + " " + timing] + [f"{k}: {self._value(k)}" for k in self._values_order]
        return " - ".join(parts)
