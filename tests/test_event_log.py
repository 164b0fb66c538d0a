"""The event log rebuilds the run's order: stage rows from the day columns, details joined."""

from samplesim.model.trace import Trace


def test_stage_rows_merge_back_in_run_order_with_details_joined():
    tr = Trace(2, 1)
    tr.stamp(0, "submitted", 1.0)
    tr.event(0, 1.0, "rule", "r", "ok", affix=("screening: pass: ", " (reciprocal to s)"))
    tr.stamp(1, "submitted", 2.0)
    tr.stamp(0, "screened", 3.0)
    tr.event(-1, 3.0, "panel", "postponed", "x", 1.5)
    tr.stamp(0, "screened", 4.0)  # reached again: both rows stay, in order
    tr.finish(1, 5.0, "declined", "why")
    assert tr.events == [
        (0, 1.0, "stage", "submitted", "", 0.0),
        (0, 1.0, "rule", "r", "screening: pass: ok (reciprocal to s)", 0.0),
        (1, 2.0, "stage", "submitted", "", 0.0),
        (0, 3.0, "stage", "screened", "", 0.0),
        (-1, 3.0, "panel", "postponed", "x", 1.5),
        (0, 4.0, "stage", "screened", "", 0.0),
        (1, 5.0, "terminal", "declined", "why", 0.0),
    ]
    assert len(tr.log) == 7 and tr.days["screened"][0] == 4.0


def test_table_codes_index_sorted_categories():
    tr = Trace(1, 1)
    tr.event(0, 0.0, "terminal", "pending", "")
    tr.stamp(0, "submitted", 0.0)
    row, _day, (kind, kinds), (name, names), detail, grams = tr.log.table()
    assert kinds == ["stage", "terminal"] and names == ["pending", "submitted"]
    assert [kinds[k] for k in kind] == ["terminal", "stage"]
    assert [names[k] for k in name] == ["pending", "submitted"]
    assert row.tolist() == [0, 0] and detail == ["", ""] and grams.tolist() == [0.0, 0.0]
