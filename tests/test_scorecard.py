"""Scorecard: verdict rules and paper values come from data/reference, only beside the same comparison."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from saliqa import paths
from saliqa.attention import scorecard as attention_scorecard
from saliqa.datasets import attention_study
from saliqa.scorecard import Scorecard, load_reference, parse_expected

REF = """# a comment line
claim,table,row,column,paper_value,expected,note
pcc_close,Table 1,PCC,P_Free,0.83,|diff| <= 0.05,closeness
kl_reported,Table 1,DKL,P_Free,1.4,,paper value only
broader,Fig 3,asymmetry,,,> 0,sign only
agree,Table 1,PCC,P_Free,0.83,>= 0.8,threshold ours
"""


@pytest.fixture
def card(tmp_path) -> Scorecard:
    (tmp_path / "nb.csv").write_text(REF)
    return Scorecard(load_reference("nb", tmp_path))


def test_parse_expected():
    assert parse_expected("> 0.5") == (">", 0.5)
    assert parse_expected(">=0.8") == (">=", 0.8)
    assert parse_expected("<= -1e-3") == ("<=", -0.001)
    assert parse_expected("|diff| <= 0.05") == ("|diff|", 0.05)
    for bad in ("bigger 0", "> x", "== 1", ""):
        with pytest.raises(ValueError, match="expected must look like"):
            parse_expected(bad)


def test_check_uses_reference_rule_and_value(card):
    assert card.check("pcc_close", 0.80) is True
    assert card.check("pcc_close", 0.70) is False
    assert card.check("kl_reported", 2.0) is None
    assert card.check("broader", 0.3, label="eye") is True
    assert card.check("broader", -0.3) is False
    assert card.check("broader", float("nan")) is False
    assert card.check("agree", 0.8) is True
    card.report("SIM P_Free", 0.7)
    frame = card.to_frame()
    assert list(frame["passed"]) == [True, False, None, True, False, False, True, None]
    assert list(frame["paper"])[:3] == [0.83, 0.83, 1.4]
    assert frame["paper"].iloc[3] is None or math.isnan(frame["paper"].iloc[3])
    assert list(frame["expected"]) == ["|diff| <= 0.05"] * 2 + ["reported", "> 0", "> 0", "> 0", ">= 0.8", "reported"]
    assert list(frame["kind"]) == [
        "value",
        "value",
        "value",
        "direction",
        "direction",
        "direction",
        "direction",
        "reported",
    ]
    assert frame["label"].iloc[3] == "eye" and frame["note"].iloc[0] == "Table 1: closeness"
    assert card.summary() == "3/6 claims pass (2 reported without verdict)"


def test_unknown_claim_names_the_file(card, tmp_path):
    with pytest.raises(KeyError, match=r"'nope' is not in .*nb\.csv"):
        card.check("nope", 1.0)
    with pytest.raises(KeyError, match="no reference table"):
        Scorecard().check("x", 1.0)


@pytest.mark.parametrize(
    "bad, match",
    [
        ("claim,paper_value\na,1\n", "missing column"),
        (REF + "pcc_close,T,r,c,1,,dup\n", "appears twice"),
        (REF + "z,T,r,c,abc,,\n", r"data row 5 \(claim 'z'\): paper_value 'abc' is not a number"),
        (REF + "z,T,r,c,1,bigger 0,\n", r"data row 5 \(claim 'z'\): expected must look like"),
        (REF + "z,T,r,c,,|diff| <= 1,\n", "needs a paper_value"),
    ],
)
def test_load_reference_errors(tmp_path, bad, match):
    (tmp_path / "x.csv").write_text(bad)
    with pytest.raises(ValueError, match=match):
        load_reference("x", tmp_path)
    with pytest.raises(FileNotFoundError, match="reference values not found"):
        load_reference("nope", tmp_path)


@pytest.mark.parametrize("path", sorted(paths.reference_dir().glob("*.csv")), ids=lambda p: p.stem)
def test_shipped_reference_files_are_valid(path):
    table = load_reference(path.stem)
    assert len(table) > 0


def _table1(columns: list[str]) -> pd.DataFrame:
    rows = [
        dict(measure=m, comparison=c, mean=v)
        for c in columns
        for m, v in (("DKL", 0.3), ("DBhat", 0.06), ("PCC", 0.89), ("SIM", 0.76))
    ]
    return pd.DataFrame(rows)


def test_table1_paper_value_only_beside_the_same_comparison():
    """OSIE: only eye vs MTurk mouse is the paper's P_Free; eye vs lab mouse must not get P_Eye."""
    card = Scorecard(load_reference("01_crowd_vs_eyetracking_attention"))
    study = attention_study.AttentionStudy(
        name="osie",
        simulated=False,
        images=pd.DataFrame(),
        fixations=pd.DataFrame(),
        experiments={},
        comparisons={
            "P_Free (eye vs crowd mouse)": ("a", "b"),
            "eye vs lab mouse": ("a", "c"),
            "crowd vs lab mouse": ("b", "c"),
        },
        asymmetry_pairs=[],
        sigma_px=1.0,
        paper_comparisons={"P_Free (eye vs crowd mouse)": "P_Free"},
    )
    table = _table1(list(study.comparisons))
    attention_scorecard.score_table1(card, table, study.paper_comparisons, study="osie", simulated=False)
    attention_scorecard.score_real_agreement(card, table, study.paper_comparisons, study="osie")
    frame = card.to_frame().set_index("label")
    assert frame.loc["osie: Table 1 PCC P_Free (eye vs crowd mouse)", "paper"] == 0.83
    assert frame.loc["osie: Table 1 DKL P_Free (eye vs crowd mouse)", "paper"] == 1.4
    assert frame.loc["osie: Table 1 DBhat P_Free (eye vs crowd mouse)", "paper"] == 0.13
    others = frame[~frame.index.str.contains("P_Free") | frame.index.str.contains("SIM")]
    assert len(others) == 9 and others["paper"].isna().all() and (others["kind"] == "reported").all()
    real = frame.loc["osie: PCC P_Free (eye vs crowd mouse)"]
    assert real["paper"] == 0.83 and bool(real["passed"]) and real["expected"] == "> 0.5"


def test_real_studies_declare_only_p_free():
    """The loaders' studies map onto the paper's P_Free alone (no P_Eye / P_Crowd on OSIE)."""
    import inspect

    for fn in (attention_study.osie_study, attention_study.bubbleview_study):
        assert '"P_Free"' in inspect.getsource(fn)
        assert "P_Eye" not in inspect.getsource(fn) and "P_Crowd" not in inspect.getsource(fn)


def test_simulated_effects_use_reference_thresholds():
    card = Scorecard(load_reference("01_crowd_vs_eyetracking_attention"))
    asym = pd.DataFrame(
        {
            "p": ["eye_iqa", "crowd_iqa"],
            "q": ["eye_free", "crowd_free"],
            "mean_d_pq": [0.5, 0.2],
            "mean_d_qp": [0.3, 0.4],
        }
    )
    mos = pd.DataFrame({"level": [10, 20, 80], "mos": [20.0, 40.0, 80.0]})
    status = pd.DataFrame(
        {
            "worker_type": ["spammer"] * 4 + ["diligent"],
            "campaign": ["iqa"] * 5,
            "removed_by": ["quiz", "test_accuracy", "kept", "quiz", "kept"],
        }
    )
    attention_scorecard.score_simulated_effects(card, asym, _table1(["P_Free", "P_IQA"]), mos, status, study="b")
    frame = card.to_frame().set_index("claim")
    assert frame.loc["sim_task_maps_broader_eye", "obtained"] == pytest.approx(0.2)
    assert bool(frame.loc["sim_task_maps_broader_eye", "passed"])
    assert not frame.loc["sim_task_maps_broader_crowd", "passed"]  # 0.2 - 0.4 < 0
    assert frame.loc["sim_mos_rises_with_quality", "obtained"] == 60.0
    assert frame.loc["sim_spammers_removed", "obtained"] == 0.75
    assert frame.loc["sim_spammers_removed", "expected"] == ">= 0.8"
    assert not frame.loc["sim_spammers_removed", "passed"]
    assert frame.loc["sim_eye_crowd_agree_free", "expected"] == "> 0.5"


def test_notebooks_hold_no_thresholds():
    """Verdict rules live in data/reference; the notebooks only supply obtained values."""
    import re

    for src in sorted((paths.repo_root() / "notebooks" / "src").glob("[0-9][0-9]_*.py")):
        text = src.read_text()
        assert not re.search(r"""["'](>=|<=|>|<) ?-?[0-9.]+["']""", text), src.name
        assert "add_direction" not in text and "add_value" not in text
