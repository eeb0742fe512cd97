"""The tool's own Art. 30(1) record (exports/processing_record.py, `oversight processing-record`): from the
configuration, as .docx (python-docx opens it) and Markdown, audited as an export."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document

from exports.errors import UnsupportedFormat
from exports.processing_record import write_processing_record
from store import audit
from store.db import connect
from store.identity import Config, User
from store.retention_periods import Retention
from tests.conftest import config_file, run_cli


def test_the_docx_holds_the_configured_retention_periods(demo_db: Path, officer: User, tmp_path: Path) -> None:
    con = connect(demo_db)
    config = Config(path=None, retention=Retention(cases_months=18, quarantine_raw_months=2, evidence_months=60),
                    controller_country="BE")
    out = tmp_path / "record.docx"
    produced = write_processing_record(con, officer, config, out)
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    for expected in ("18 months", "2 months", "60 months", "Art. 30(1)(f)", "HMAC-SHA256", "0600",
                     "Member State: BE", "[name and contact details of the DPO]"):
        assert expected in text, expected
    [event] = audit.list_events(con, limit=1)
    assert event["action"] == "export.processing_record" and event["details"]["sha256"] == produced.sha256
    with pytest.raises(UnsupportedFormat):
        write_processing_record(con, officer, config, tmp_path / "record.pdf")
    con.close()


def test_the_cli_writes_markdown_from_the_configuration(demo_db: Path, cli_env: object, tmp_path: Path) -> None:
    config = config_file(tmp_path, '[access]\nmode = "local"\n[retention]\ncases_months = 12\n')
    out = tmp_path / "record.md"
    result = run_cli("--config", str(config), "processing-record", "--out", str(out))
    assert result.code == 0, result.err
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Record of processing activities")
    assert "12 months after the month of the report" in text and "84 months" in text and "3 months" in text
