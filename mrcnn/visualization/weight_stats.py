"""Weight statistics tables: :func:`display_table` and :func:`display_weight_stats`.

A table is a list of rows, each a list of cells (anything ``str()`` accepts; cells may carry
HTML markup such as the red "*** dead?" alerts). Inside IPython/Jupyter tables are rendered as
HTML, as matterport; elsewhere they are printed as aligned plain text.

Imports only NumPy and the standard library (IPython lazily, when running inside it); no
matplotlib.
"""

import html
import re

import numpy as np


def _in_ipython_frontend():
    """True when running inside an IPython shell or Jupyter kernel that can render HTML."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def display_table(table):
    """Display a table (list of rows, each a list of cells) as HTML or plain text.

    Inside IPython/Jupyter the table is rendered as HTML, as matterport. Elsewhere it is
    printed as aligned plain text (HTML markup inside cells is stripped).
    """
    if _in_ipython_frontend():
        from IPython.display import HTML, display
        rows_html = "".join(
            "<tr>" + "".join("<td>{:40}</td>".format(str(cell)) for cell in row) + "</tr>"
            for row in table)
        display(HTML("<table>" + rows_html + "</table>"))
        return

    text_rows = [[html.unescape(re.sub(r"<[^>]+>", "", str(cell))) for cell in row]
                 for row in table]
    if not text_rows:
        return
    column_count = max(len(row) for row in text_rows)
    widths = [max((len(row[c]) for row in text_rows if c < len(row)), default=0)
              for c in range(column_count)]
    for row in text_rows:
        print("  ".join(cell.ljust(widths[c]) for c, cell in enumerate(row)).rstrip())


def _layers_with_weights(model):
    """Layers holding weights, for a MaskRCNN wrapper or a Keras model (nested models opened)."""
    if hasattr(model, "get_trainable_layers"):
        return list(model.get_trainable_layers())
    keras_model = getattr(model, "keras_model", model)
    found = []
    for layer in keras_model.layers:
        if hasattr(layer, "layers") and not hasattr(layer, "layer"):
            found.extend(_layers_with_weights(layer))  # nested Model (e.g. rpn_model)
        elif layer.weights:
            found.append(layer)
    return found


def display_weight_stats(model):
    """Show name, shape, min, max and std of every weight of a model.

    model: a ``mrcnn.model.MaskRCNN`` (uses its trainable layers, as matterport) or any
        Keras 3 model. Weights that are constant (except Conv2D biases) are flagged
        "*** dead?", and values beyond +-1000 "*** Overflow?".
    Rendered with :func:`display_table` (HTML in notebooks, text elsewhere).
    """
    table = [["WEIGHT NAME", "SHAPE", "MIN", "MAX", "STD"]]
    for layer in _layers_with_weights(model):
        weight_values = layer.get_weights()
        weight_variables = layer.weights
        # Judge a TimeDistributed(Conv2D) by the layer it wraps.
        layer_kind = type(getattr(layer, "layer", layer)).__name__
        for i, values in enumerate(weight_values):
            variable = weight_variables[i]
            # Keras 3 variables have a short .name ("kernel") and a full .path ("conv1/kernel").
            weight_name = getattr(variable, "path", None) or variable.name
            alert = ""
            # A constant Conv2D bias is normal (often frozen at zero).
            if values.min() == values.max() and not (layer_kind == "Conv2D" and i == 1):
                alert += "<span style='color:red'>*** dead?</span>"
            if np.abs(values.min()) > 1000 or np.abs(values.max()) > 1000:
                alert += "<span style='color:red'>*** Overflow?</span>"
            table.append([
                weight_name + alert,
                str(values.shape),
                "{:+9.4f}".format(values.min()),
                "{:+10.4f}".format(values.max()),
                "{:+9.4f}".format(values.std()),
            ])
    display_table(table)
