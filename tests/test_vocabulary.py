"""The workflow's vocabulary (``stages.py``, ``metrics.py``) matches what a run produces and
what the outputs show: the declarations are the only lists, so they must be complete."""

from __future__ import annotations

import pytest

from samplesim import metric_groups, metrics, plots, stages
from samplesim.plots import run_timeline as timeline_mod


def test_every_metric_is_a_summary_column_and_vice_versa(flagship_result):
    columns = [c for c in flagship_result.summary.columns if c != "country"]
    assert columns == list(metrics.METRICS)
    assert tuple(columns) == metrics.METRIC_NAMES


def test_all_only_metrics_are_whole_run_values(flagship_result):
    s = flagship_result.summary.set_index("country")
    for m in metrics.ALL_ONLY:
        assert s.loc["ALL", m] == s.loc["ALL", m]  # defined (not NaN) for the whole run


def test_every_stage_has_a_day_column(flagship_result):
    p = flagship_result.proposals
    for name in stages.STAGE_NAMES:
        assert f"{name}_day" in p.columns, name


def test_funnel_steps_are_stages_or_approved():
    for step in stages.FUNNEL:
        assert step.stage in stages.STAGE_NAMES or step.stage == "approved", step


def test_funnel_labels_are_the_funnel_figures_ticks(flagship_result):
    fig = plots.funnel(flagship_result)
    ticks = [t.get_text().replace("\n", " ") for t in fig.axes[0].get_xticklabels()]
    # no notice of intent in the flagship: every step but "intents"
    assert ticks == [s.label for s in stages.FUNNEL if s.stage != "intent"]
    assert tuple(ticks) == tuple(x for x in plots.FUNNEL_STAGES if x != "intents")


def test_terminal_states_are_ends_of_stages_and_have_markers():
    ends = {e for s in stages.STAGES for e in s.ends_in}
    assert ends == set(stages.TERMINAL_STATES)
    assert set(timeline_mod._MARKERS) == set(stages.TERMINAL_STATES)


def test_timeline_phases_follow_the_stage_table():
    assert tuple(timeline_mod._PHASE_COLORS) == stages.PHASES
    assert stages.STAGE_NAMES[1:] == timeline_mod._STAGES
    assert set(timeline_mod._PHASE_OF.values()) == set(stages.PHASES)


@pytest.mark.parametrize("name", list(metrics.METRICS))
def test_every_metric_plot_label_has_a_unit(name):
    m = metrics.METRICS[name]
    assert m.unit and m.label
    assert plots.metric_label(name) == f"{m.label} ({m.unit})"
    assert plots.metric_label(f"{name}@FR") == f"{m.label} ({m.unit}) [FR]"
    assert plots.METRIC_LABELS[name] == m.axis_label


def test_metric_groups_name_declared_metrics():
    groups = {
        "HEADLINE": metrics.HEADLINE,
        "DEFAULT_OUTCOMES": metrics.DEFAULT_OUTCOMES,
        "PLOT_DEFAULTS": metric_groups.PLOT_DEFAULTS,
        "REPORT_RUN": metric_groups.REPORT_RUN,
        "REPORT_COUNTRY_COLUMNS": metric_groups.REPORT_COUNTRY_COLUMNS,
        "REPORT_EXPERIMENT": metric_groups.REPORT_EXPERIMENT,
        "RUN_TABLE": tuple(metric_groups.RUN_TABLE),
        "EXPERIMENT_TABLE": tuple(metric_groups.EXPERIMENT_TABLE),
        "EXPERIMENT_COUNTRY_TABLE": metric_groups.EXPERIMENT_COUNTRY_TABLE,
    }
    for group, names in groups.items():
        unknown = set(names) - set(metrics.METRICS)
        assert not unknown, f"{group}: {unknown}"
        assert len(set(names)) == len(names), group
    # per-country tables only hold per-country metrics
    for names in (
        metric_groups.REPORT_COUNTRY_COLUMNS,
        metric_groups.RUN_TABLE,
        metric_groups.EXPERIMENT_COUNTRY_TABLE,
    ):
        assert not set(names) & set(metrics.ALL_ONLY)
    assert set(metric_groups.EXPERIMENT_COUNTRY_TABLE) <= set(metric_groups.EXPERIMENT_TABLE)
