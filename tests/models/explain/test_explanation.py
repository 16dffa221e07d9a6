"""Per-enterprise explanations: lines add up to the final score; overrides are their own line."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from typer.testing import CliRunner

from ecr_cli.main import app
from features.store import Store
from models.explain.explanation import explain_rows, top_factors
from models.explain.points import Explainer
from tests.conftest import Trained


def listed_rows(trained: Trained, count: int = 3) -> pa.Table:
    mask = pc.equal(trained.table["serious_dishonesty_now"], 1)
    return trained.table.filter(mask).slice(0, count)


def test_lines_add_up_to_the_final_score(trained: Trained) -> None:
    explanations = explain_rows(Explainer(trained.model), trained.table.slice(0, 300))
    for e in explanations:
        features = sum(line.points for line in e.features)
        assert abs(e.base_points + features - e.model_score) <= 1e-6
        assert abs(e.model_score + sum(line.points for line in e.rules) - e.final_score) <= 1e-6
        assert abs(sum(e.dimensions.values()) - features) <= 1e-6
        assert [abs(line.points) for line in e.features] == sorted(
            (abs(line.points) for line in e.features), reverse=True)


def test_an_overridden_enterprise_shows_the_override_line(trained: Trained) -> None:
    rows = listed_rows(trained)
    assert rows.num_rows > 0
    for e in explain_rows(Explainer(trained.model), rows):
        line = next(r for r in e.rules if r.key == "serious_dishonesty_list")
        assert e.risk_level == "D" and e.final_score >= 750
        assert line.kind == "rule" and "严重违法失信名单" in line.reason_zh
        assert line.points >= 0 and line.en == "force D"
        if e.model_score < 500 and len(e.rules) == 1:
            assert line.points == 750.0 - e.model_score


def test_top_factors_pick_the_largest_each_way() -> None:
    points = np.array([[5.0, -1.0, 0.0, 3.0], [-2.0, -4.0, 1.0, 0.0]])
    raising, lowering = top_factors(points, 2)
    assert raising.tolist() == [[0, 3], [2, -1]]
    assert lowering.tolist() == [[1, -1], [1, 0]]


def test_explain_command_prints_the_lines(trained: Trained, synthetic_store: Store) -> None:
    uscc = listed_rows(trained, 1)["uscc"][0].as_py()
    as_of = listed_rows(trained, 1)["as_of"][0].as_py()
    result = CliRunner().invoke(app, [
        "explain", uscc, "--as-of", str(as_of), "--store", str(synthetic_store.root),
        "--model", trained.model_uri, "--tracking-uri", trained.tracking_uri], terminal_width=200)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert uscc in text and "base points" in text and "final score" in text
    assert "serious_dishonesty_list" in text
    missing = CliRunner().invoke(app, [
        "explain", "91350200776049653A", "--as-of", str(as_of), "--store",
        str(synthetic_store.root), "--model", trained.model_uri, "--tracking-uri",
        trained.tracking_uri])
    assert missing.exit_code == 2 and "no enterprise with this code" in missing.output
