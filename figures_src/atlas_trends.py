"""Trends across the atlas: every committed atlas unit's spatial structure and pooling/assembling, per layer, against baselines.

Reads the atlases' layer files only (no TensorFlow): see mechanics/trends.py for the measures,
their flat-window values and the seeded null of the assembly share.
"""

from pathlib import Path

from mechanics.figure_spec import FigureSpec

FIGURE = FigureSpec(
    name="atlas_trends",
    kind="trends",
    title="Trends across the atlas",
    caption=("Each dot is one atlas unit, orange if it assembles and blue if it pools. Top: how much of its "
             "decomposition lies off the centre cell (the grey line is a flat window), or how concentrated it is. "
             "Bottom: the share of its strongest off-centre cells led by a channel other than its dominant one; the "
             "shaded band is the same share with top channels assigned at random (5-95%), and units left of the "
             "dashed line pool one feature. The named dots are block10:101 and block10:9."),
    model="efficientnet_lite0",
    params=dict(atlases=["atlas_efficientnet_lite0_block8", "atlas_efficientnet_lite0_block9",
                         "atlas_efficientnet_lite0_block10", "atlas_efficientnet_lite1", "atlas_efficientnet_lite2"],
                units=[["efficientnet_lite0", "block10", 101], ["efficientnet_lite0", "block10", 9]],
                seed=0),
)


def make(out_dir, quick):
    from mechanics import trends
    trends.build(out_dir, FIGURE, quick, Path(__file__).resolve().parent.parent / "assets" / "figures")
