"""Great Expectations without the libraries the gate never uses: ``scipy.stats`` and ``altair``
are made lazy before Great Expectations is imported.

``import great_expectations`` loads every expectation class it ships, and two of them (the
Kullback-Leibler divergence and the Kolmogorov-Smirnov p-value, not in our suites) import
``scipy.stats`` and ``altair`` at module level, while using them only inside their methods
(``stats.entropy``, ``stats.kstest``, ``alt.Chart``). Those two imports are 58 and 29 MiB of the
~150 MiB the import adds to a task (measured on top of ``verfak.load``), and they are most of what
kept a village's resubmission above its 300 MiB target (issue #15). A stand-in module in
``sys.modules`` is what every ``import`` of them finds; the first attribute anyone reads from it
loads the real module: nothing changes for code that uses them, only when they are loaded (the
names bound to the stand-in keep working through it). ``defer_unused_imports()`` is idempotent and
does nothing for a module already imported (or not installed).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types

#: Modules Great Expectations imports at module level but the gate's expectations never call.
DEFERRED_MODULES = ("scipy.stats", "altair")

_LOCK = threading.RLock()


class _Deferred(types.ModuleType):
    """Stands in ``sys.modules`` for a module not loaded yet; the first attribute it does not have
    (anything but its name, spec and docstring) loads the real module, which then replaces it.

    ``importlib.util.LazyLoader`` does not do here: on Python 3.11 a plain ``import altair`` of a
    module already in ``sys.modules`` reads its ``__spec__``, which loads a lazy module at once."""

    def __getattr__(self, attr: str):
        with _LOCK:
            name = self.__name__
            if sys.modules.get(name) is self:
                del sys.modules[name]
            module = importlib.import_module(name)
            # what the stand-in lacked, for the modules that imported it: its every attribute
            self.__dict__.update(
                {k: v for k, v in vars(module).items() if k not in ("__spec__", "__loader__")}
            )
        return getattr(module, attr)


def _defer(name: str) -> None:
    if name in sys.modules:
        return
    try:
        spec = importlib.util.find_spec(name)  # imports the parent package (scipy's is small)
    except ImportError:
        return
    if spec is None:
        return
    stand_in = _Deferred(name)
    stand_in.__spec__, stand_in.__loader__ = spec, spec.loader  # what ``import`` and ``find_spec`` read
    sys.modules[name] = stand_in


def defer_unused_imports() -> None:
    """Stand-ins for the modules of ``DEFERRED_MODULES`` unless they are imported already."""
    for name in DEFERRED_MODULES:
        _defer(name)
