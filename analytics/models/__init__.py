from .effects import *  # noqa: F403  (an-effects: segments, effect reports, opening-hours advice)
