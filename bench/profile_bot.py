"""`python -m bot …` under cProfile, switched on by SIGUSR1 and off by SIGUSR2, so that bench_e2e.py profiles
the burst and not the start-up. The statistics are written on exit to the file named by $BOT_PROFILE.

    BOT_PROFILE=bot.prof python bench/profile_bot.py run

cProfile sees the main thread only: SQLite's own work runs in aiosqlite's worker thread and is not in it.
"""

from __future__ import annotations

import cProfile
import os
import runpy
import signal
import sys

profiler = cProfile.Profile()
signal.signal(signal.SIGUSR1, lambda *_: profiler.enable())
signal.signal(signal.SIGUSR2, lambda *_: profiler.disable())
sys.argv = ["bot", *sys.argv[1:]]
try:
    runpy.run_module("bot", run_name="__main__", alter_sys=True)
finally:
    profiler.disable()
    profiler.dump_stats(os.environ["BOT_PROFILE"])
