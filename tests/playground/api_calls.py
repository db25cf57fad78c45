"""Calling the served app the ways people do: gradio_client, and raw JSON for what gradio_client won't send.

gradio_client refuses to encode NaN and fills in missing arguments with the components' defaults, so a
value a hand-written client could send (NaN, null, too few values) is posted as raw JSON to Gradio's
/gradio_api/call/<api_name> route, as the "view API" page documents for curl.
"""
from __future__ import annotations

import json

import httpx


class RawCallError(Exception):
    """The server answered a raw call with an error event; the message is what a caller would be shown."""


def raw_call(url: str, api_name: str, data: list, timeout: float = 120):
    """POST data (json.dumps: NaN and Infinity as JS literals, None as null) and read the result stream.

    Returns the output values; raises RawCallError with the error message (None when Gradio hides it).
    """
    base = url.rstrip("/")
    body = json.dumps({"data": data})  # allow_nan: Python's json writes NaN/Infinity, as JS eval would take
    r = httpx.post(f"{base}/gradio_api/call/{api_name.strip('/')}", content=body,
                   headers={"content-type": "application/json"}, timeout=timeout)
    if r.status_code != 200:
        raise RawCallError(f"HTTP {r.status_code}: {r.text[:500]}")
    event_id = r.json()["event_id"]
    event, payload = None, None
    with httpx.stream("GET", f"{base}/gradio_api/call/{api_name.strip('/')}/{event_id}", timeout=timeout) as s:
        for line in s.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                payload = line.split(":", 1)[1].strip()
                if event in ("complete", "error"):
                    break
    if event == "error":
        message = json.loads(payload) if payload and payload != "null" else None
        if isinstance(message, dict):
            message = message.get("error")
        raise RawCallError(message)
    return json.loads(payload)
