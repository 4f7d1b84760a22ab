"""How an import's differences show the values they name: as a user writes them."""

from __future__ import annotations

import json


def test_a_claims_differences_show_values_as_they_are_written(cli, balti_db, tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"verity": 1, "sources": [{"name": "Pakistani senior security official",
                                                            "kind": "official's view"}], "stances": [],
                                "claims": [{"key": "balti-was-killed", "text": "x", "tags": ["a", "b"]}]}))
    result = cli("--db", balti_db, "import", path)
    assert result.exit_code == 1
    error = result.stderr
    assert "text: 'Mufti Khalid Balti alias Mohammad Khurasani was killed in…' in the database, 'x' here" in error
    assert "subject: 'Mufti Khalid Balti' in the database, none here" in error
    assert "tags: 'ttp, casualty, afghanistan, pakistan' in the database, 'a, b' here" in error
    assert "ruling_explanation: 'Two adversaries confirm the death: a Pakistani senior sec…' in the database" in error
    assert "kind: 'official' in the database, 'official's view' here" in error
    assert "None" not in error and '"' not in error and "()" not in error
