"""A ``DATABASE_URL`` that is no PostgreSQL connection string is refused naming the
variable, never its value (it may hold a password), with exit 2: ``audit verify`` raised
the driver's parse error as a traceback and exited 1, the status that means a broken chain,
and so did ``audit projections`` and ``audit export``."""

from __future__ import annotations

from pathlib import Path

import pytest
from audit_cli import audit
from pydantic import ValidationError

from carecoord.services.infrastructure.settings import Settings

SECRET = "s3cret-pw"
MALFORMED = [f"mysql://auditor:{SECRET}@db.example/care", f"password={SECRET} notaurl"]


@pytest.mark.parametrize("url", MALFORMED)
@pytest.mark.parametrize(
    "check",
    [("verify",), ("projections",), ("export", "--as", "aud-1", "--program", "OTP")],
)
def test_an_audit_with_a_malformed_database_url_cannot_check(
    url: str, check: tuple[str, ...], tmp_path: Path
) -> None:
    done = audit(url, tmp_path, *check)

    assert done.returncode == 2, done.stderr
    assert "DATABASE_URL" in done.stderr
    assert "Traceback" not in done.stderr
    assert SECRET not in done.stderr + done.stdout


def test_the_settings_refuse_it_and_take_both_forms_libpq_reads() -> None:
    for url in MALFORMED:
        with pytest.raises(ValidationError, match="not a PostgreSQL connection string"):
            Settings(database_url=url)
    with pytest.raises(ValidationError):
        Settings(read_database_url=MALFORMED[0])
    assert Settings(database_url="postgresql://root@127.0.0.1:5432/test").database_url
    assert Settings(database_url="host=127.0.0.1 dbname=test user=root").database_url
