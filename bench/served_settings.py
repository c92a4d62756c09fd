"""`make up`'s settings (config/settings.py, from the environment) plus what
bench_lead_list_http serves beside today's lead list: the baseline's view at
its own URL (bench/baseline_lead_list.py) and its templates' folder."""

import os
from typing import Any

from config.settings import *  # noqa: F403
from config.settings import TEMPLATES

_engine: dict[str, Any] = TEMPLATES[0]
_engine["DIRS"] = [os.environ["BENCH_BASELINE_TEMPLATES"], *_engine["DIRS"]]
_engine["OPTIONS"]["libraries"] = {
    **_engine["OPTIONS"].get("libraries", {}),
    "baseline_lead_rows": "bench.baseline_lead_rows",
}
ROOT_URLCONF = "bench.baseline_lead_list"
