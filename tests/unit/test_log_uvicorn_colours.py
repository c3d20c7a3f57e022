"""uvicorn gives its lines a copy of the message with a terminal's colour codes
(``color_message``); a JSON log line carried it as a field of its own, escape codes and an
unformatted ``%d`` beside the message, on every start and stop of the API."""

from __future__ import annotations

import json
import logging

from carecoord.services.runtime.logs import JsonFormatter


def test_a_line_leaves_out_uvicorns_coloured_copy_of_its_message() -> None:
    record = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, "Started server process [%d]", (42,), None
    )
    record.color_message = "Started server process [\x1b[36m%d\x1b[0m]"

    line = json.loads(JsonFormatter().format(record))

    assert line["msg"] == "Started server process [42]"
    assert "color_message" not in line
