"""Great Expectations imported through ``verfak.quality`` leaves ``scipy.stats`` and ``altair``
unloaded until something reads from them (verfak.gx_imports, issue #15), and they still work.

Each check runs in a fresh interpreter: what an earlier test imported would hide the difference."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_great_expectations_leaves_scipy_stats_and_altair_unloaded_until_used():
    out = _run(
        """
        import sys
        import verfak.quality
        import great_expectations
        from great_expectations.expectations.core import expect_column_kl_divergence_to_be_less_than as kl

        # the real modules' code has not run: none of their submodules is loaded
        print(sorted(m for m in sys.modules if m.startswith(("scipy.stats.", "altair."))))
        # used through the names Great Expectations bound at import, they load and work
        print(round(float(kl.stats.entropy([0.5, 0.5], [0.25, 0.75])), 6))
        print(kl.alt.Chart.__name__)
        import scipy.stats
        print(scipy.stats.norm.cdf(0.0), "scipy.stats._stats_py" in sys.modules)
        """
    )
    assert out.splitlines() == ["[]", "0.143841", "Chart", "0.5 True"]


def test_a_module_already_imported_is_left_as_it_is():
    out = _run(
        """
        import sys
        import scipy.stats
        real = sys.modules["scipy.stats"]
        from verfak.gx_imports import defer_unused_imports

        defer_unused_imports()
        defer_unused_imports()
        print(sys.modules["scipy.stats"] is real, type(sys.modules["altair"]).__name__)
        """
    )
    assert out.split() == ["True", "_Deferred"]
