"""Named facts computed from a figure's arrays (mechanics.facts): no TensorFlow needed."""

import numpy as np

from mechanics import contract, facts


def test_window_facts_name_cells_from_one_and_split_the_centre_from_the_rest():
    vectors = np.zeros((5, 5, 3))
    vectors[..., 0] = 0.1
    vectors[2, 2] = [0.0, 0.6, -0.8]          # whole norm 1.0, positive norm 0.6
    out = facts.window_facts("branch", vectors, halves=(0.45, 0.1))
    assert out["branch_centre_norm"]["value"] == 1.0
    assert out["branch_pos_norm_3_3"]["value"] == 0.6
    assert out["branch_pos_top_3_3"] == {"value": 1, "kind": "index", "digits": 0,
                                         "what": "the channel weighing most in the positive part of that cell"}
    assert np.isclose(out["branch_off_centre_max"]["value"], 0.1)
    share = out["branch_pos_off_centre_share"]
    assert share["kind"] == "share" and np.isclose(share["value"], 2.4 / 3.0)
    assert out["branch_halves_top_bottom"]["value"] == 0.45


def test_gallery_facts_median_centre_share_and_the_most_lopsided_unit():
    def item(label, norms):
        layer, channel = label.split(":")
        image = contract.ImageRef(sprite="cells", index=0)
        cells = [contract.Cell(row=i // 5, col=i % 5, offset=[0, 0], norm=float(n), weight=0.0, image=image,
                               top_channels=[]) for i, n in enumerate(np.asarray(norms, float).ravel())]
        return contract.GalleryItem(id=label, model="m", model_label="M", layer=layer, channel=int(channel),
                                    label=label, unit_image=image, window=contract.Window(height=5, width=5), cells=cells)
    flat = np.ones((5, 5))
    right = np.ones((5, 5)); right[:, 3:] = 2         # columns: left 10, right 20
    centred = np.ones((5, 5)); centred[2, 2] = 9
    out = facts.gallery_facts([item("block8:1", flat), item("block8:2", right), item("block9:3", centred)])
    assert out["neurons"]["value"] == 3 and out["block8_neurons"]["value"] == 2 and out["layers"]["value"] == 2
    assert np.isclose(out["median_centre_share"]["value"], 1 / 25)    # of 1/35, 1/25 and 9/33
    assert np.isclose(out["max_imbalance"]["value"], 10 / 30)
    assert out["max_imbalance_unit"]["value"] == "block8:2" and out["max_imbalance_side"]["value"] == "right"
    assert np.isclose(out["flat_centre_share"]["value"], 0.04)


def test_a_fact_keeps_integers_integer_and_names_come_from_ids():
    assert facts.fact(np.int64(7), "count") == {"value": 7, "kind": "count", "digits": 0}
    assert facts.fact(np.float32(0.5), "share", 1)["value"] == 0.5
    assert facts.key("logit:285") == "logit285" and facts.key("block14:186") == "block14_186"
    assert facts.key("efficientnet_lite0") == "lite0"
