"""The code under test: a tiny client of a users API (standard library only)."""
import json
import threading
import urllib.request


def create_user(base_url, token, name, email):
    """POSTs a new user and returns its id."""
    body = json.dumps({"name": name, "email": email}).encode()
    req = urllib.request.Request(
        base_url + "/api/users",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + token},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)["id"]


def send_event_later(base_url, kind):
    """Fires an event from a background thread, as real code often does: a test cannot
    know when it arrives, so it waits for it."""
    def send():
        req = urllib.request.Request(
            base_url + "/api/events",
            data=json.dumps({"kind": kind}).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(req, timeout=10).close()

    t = threading.Thread(target=send)
    t.start()
    return t
