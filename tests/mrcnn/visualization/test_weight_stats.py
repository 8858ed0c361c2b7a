"""Tests for mrcnn.visualization.weight_stats: display_table and display_weight_stats."""

import types

from mrcnn.visualization import weight_stats


def test_display_table_plain_text_fallback(capsys, monkeypatch):
    monkeypatch.setattr(weight_stats, "_in_ipython_frontend", lambda: False)
    weight_stats.display_table([["NAME", "SHAPE"],
                                ["conv<span style='color:red'>*** dead?</span>", "(3,)"]])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "SHAPE"]
    assert lines[1].split() == ["conv***", "dead?", "(3,)"]
    assert "<span" not in lines[1]


def test_display_table_html_in_ipython(monkeypatch):
    import IPython.display
    shown = []
    monkeypatch.setattr(weight_stats, "_in_ipython_frontend", lambda: True)
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    weight_stats.display_table([["A", 1]])
    assert len(shown) == 1
    assert shown[0].data.startswith("<table><tr><td>A")


def test_display_weight_stats_keras3_model(capsys, monkeypatch):
    import keras
    monkeypatch.setattr(weight_stats, "_in_ipython_frontend", lambda: False)
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6, 6, 2))
    x = keras.layers.Conv2D(3, 3, name="conv_a")(inputs)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(4, name="dense_b")(x)
    model = keras.Model(inputs, outputs)
    weight_stats.display_weight_stats(model)
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split() == ["WEIGHT", "NAME", "SHAPE", "MIN", "MAX", "STD"]
    by_name = {row.split()[0]: row for row in rows[1:]}
    assert set(by_name) == {"conv_a/kernel", "conv_a/bias", "dense_b/kernel",
                            "dense_b/bias***"}
    kernel = model.get_layer("conv_a").get_weights()[0]
    assert "(3, 3, 2, 3)" in by_name["conv_a/kernel"]
    assert "{:+9.4f}".format(kernel.min()).strip() in by_name["conv_a/kernel"]
    assert "{:+9.4f}".format(kernel.std()).strip() in by_name["conv_a/kernel"]
    # Zero-initialised biases are constant: Dense is flagged, Conv2D's bias is exempt.
    assert "dead?" in by_name["dense_b/bias***"]
    assert "dead?" not in by_name["conv_a/bias"]

    # A nested sub-model's layers are listed too; a MaskRCNN-like wrapper uses its own list.
    outer_inputs = keras.Input((6, 6, 2))
    outer = keras.Model(outer_inputs, keras.layers.Dense(2, name="head_c")(model(outer_inputs)))
    weight_stats.display_weight_stats(outer)
    names = [row.split()[0] for row in capsys.readouterr().out.splitlines()[1:]]
    assert len(names) == 6 and names[-1].startswith("head_c/bias")
    wrapper = types.SimpleNamespace(get_trainable_layers=lambda: [model.get_layer("dense_b")])
    weight_stats.display_weight_stats(wrapper)
    assert len(capsys.readouterr().out.splitlines()) == 3
