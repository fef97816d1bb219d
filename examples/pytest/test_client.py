"""Tests of client.py against a cannery fixture: what did the client send?"""
import client


def test_create_user_sends_the_token_and_the_json(cannery):
    assert client.create_user(cannery.url, "t0k3n", "Ada", "ada@example.com") == 42
    # exactly one request, with the header and body we expect
    cannery.verify({"method": "POST", "path": "/api/users",
                    "headers": {"authorization": "Bearer t0k3n"},
                    "body": {"json": {"name": "Ada", "email": "ada@example.com"}}},
                   count=1)


def test_count_and_journal(cannery):
    client.create_user(cannery.url, "t", "Ada", "ada@example.com")
    client.create_user(cannery.url, "t", "Alan", "alan@example.com")
    assert cannery.count(path="/api/users") == 2
    assert cannery.count(body={"json_path": {"name": "Alan"}}) == 1
    sent = cannery.requests(path="/api/users")
    assert [r["seq"] for r in sent] == [1, 2]
    # secrets are redacted in the journal, but matchers see the real value
    assert sent[0]["headers"]["authorization"] == "[redacted]"


def test_wait_for_a_background_request(cannery):
    t = client.send_event_later(cannery.url, "signup")
    assert cannery.wait({"path": "/api/events", "body": {"json_partial": {"kind": "signup"}}}) == 1
    t.join()


def test_verify_failure_explains_itself(cannery):
    client.create_user(cannery.url, "t0k3n", "Ada", "ada@example.com")
    status, answer = cannery.admin("POST", "verify",
                                   {"request": {"path": "/api/users", "method": "PUT"}, "count": 1})
    assert status == 409
    assert answer["near_misses"][0]["mismatches"] == ['method: expected "PUT", got "POST"']
