"""A parsed dataset says which format it was read as, to be parsed the same way again."""

from __future__ import annotations

from backbone.assistant.datasets import parse_upload


def test_the_format_read_is_recorded() -> None:
    """CSV reads as text/csv and JSON as application/json, whatever the client called it."""
    csv = parse_upload(b"a,b\n1,2\n", filename="x.csv", content_type="application/octet-stream")
    assert csv.media_type == "text/csv"
    data = parse_upload(b'[{"a": 1}]', filename="x.json", content_type=None)
    assert data.media_type == "application/json"
    again = parse_upload(b'[{"a": 1}]', filename=None, content_type=data.media_type)
    assert again == data
