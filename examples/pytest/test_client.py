"""Tests of client.py against cannery, with the pytest-cannery plugin: every test names
the stubs it needs, gets a server on a free port (`cannery.url`), and asserts on what
the client sent."""
import urllib.error

import pytest

import client

# every test of this file: the stubs next to it (a test can say more with its own marker)
pytestmark = pytest.mark.cannery(stubs="stubs")


def test_create_user_sends_the_token_and_the_json(cannery):
    assert client.create_user(cannery.url, "t0k3n", "Ada", "ada@example.com") == 42
    # exactly one request, with the header and body we expect
    cannery.verify(method="POST", path="/api/users",
                   headers={"authorization": "Bearer t0k3n"},
                   body={"json": {"name": "Ada", "email": "ada@example.com"}},
                   count=1)


def test_count_and_journal(cannery):
    client.create_user(cannery.url, "t", "Ada", "ada@example.com")
    client.create_user(cannery.url, "t", "Alan", "alan@example.com")
    assert cannery.count(path="/api/users") == 2
    assert cannery.count(body={"json_path": {"name": "Alan"}}) == 1
    sent = cannery.requests(path="/api/users")
    assert [r["stub"] for r in sent] == ["create-user", "create-user"]
    # secrets are redacted in the journal, but matchers see the real value
    assert sent[0]["headers"]["authorization"] == "[redacted]"


def test_wait_for_a_background_request(cannery):
    t = client.send_event_later(cannery.url, "signup")
    assert cannery.wait(path="/api/events", body={"json_partial": {"kind": "signup"}}) == 1
    t.join()


def test_an_error_case_from_a_runtime_stub(cannery):
    # same conditions as the file's create-user stub: the newer runtime stub wins
    cannery.add_stub("""
        name: users-full
        request:
          method: POST
          path: /api/users
          headers: { Authorization: { prefix: "Bearer " } }
        response: { status: 507, json: { error: no room } }
    """)
    with pytest.raises(urllib.error.HTTPError) as e:
        client.create_user(cannery.url, "t", "Ada", "ada@example.com")
    assert e.value.code == 507


def test_a_failed_verify_explains_itself(cannery):
    client.create_user(cannery.url, "t0k3n", "Ada", "ada@example.com")
    with pytest.raises(AssertionError) as e:
        cannery.verify(method="PUT", path="/api/users", count=1)
    assert str(e.value).endswith('x method: expected "PUT", got "POST"')
