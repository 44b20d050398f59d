"""The multi-rate curve: its band is over the models it is given, and its legend counts models, not folds."""

import numpy as np

from gcnprune.book.plots import rate_curve


def test_rate_curve_band_and_legend_count_models():
    rates = [0.5, 0.9, 0.99]
    curves = [(rates, [0.9, 0.8, 0.4]), (rates, [0.7, 0.6, 0.2]), (rates, [0.8, 0.7, 0.3])]  # e.g. 1 split, 3 seeds
    ax = rate_curve(curves, training_rates=[0.9]).axes[0]
    line = next(line for line in ax.get_lines() if line.get_label().startswith("multi_rate"))
    assert line.get_label() == "multi_rate (one model), 3 model(s)"
    np.testing.assert_allclose(line.get_ydata(), [80.0, 70.0, 30.0])  # the mean over the three models, in %
    np.testing.assert_allclose(line.get_xdata(), [0.5, 0.1, 0.01])  # plotted against 1 - rate


def test_the_frontier_keeps_the_models_no_other_beats_on_cost_and_accuracy():
    import pandas as pd

    from gcnprune.book.plots import pareto_front

    points = pd.DataFrame({"latency": [1.0, 2.0, 2.0, 3.0, 4.0, 0.5], "accuracy": [0.6, 0.9, 0.7, 0.8, 0.95, 0.2]})
    front = pareto_front(points, "latency")
    assert list(front["latency"]) == [0.5, 1.0, 2.0, 4.0] and list(front["accuracy"]) == [0.2, 0.6, 0.9, 0.95]
