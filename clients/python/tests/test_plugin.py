"""The pytest-cannery plugin, tested through pytest's own pytester: each test writes a
small test suite, runs pytest on it in a subprocess, and checks the outcome and output."""
import pytest


def test_entry_point_registers_the_plugin(run, project, plugin_install):
    if not plugin_install[2]:
        pytest.skip("pip is not available (install python3-pip): the plugin was loaded with -p, not its entry point")
    project.makepyfile("""
        def test_loaded(pytestconfig):
            assert pytestconfig.pluginmanager.has_plugin("cannery")   # the entry point's name
    """)
    result = run("--help")
    result.stdout.fnmatch_lines(["*--cannery-bin=PATH*"])
    run().assert_outcomes(passed=1)


def test_marker_serves_stubs_relative_to_the_test_file(run, project):
    project.makepyfile("""
        import json, pytest
        from helpers import call

        @pytest.mark.cannery(stubs="stubs")
        def test_users(cannery):
            assert cannery.url.startswith("http://127.0.0.1:") and cannery.port > 0
            status, text = call(cannery.url + "/api/users")
            assert (status, json.loads(text)) == (200, [{"id": 1, "name": "Ada"}])
            assert cannery.count(path="/api/users") == 1
            assert cannery.count({"method": "POST"}) == 0
            assert cannery.verify(method="GET", path="/api/users", count=1) == 1
            [entry] = cannery.requests(path="/api/users")
            assert entry["stub"] == "list-users" and entry["seq"] == 1
    """)
    run().assert_outcomes(passed=1)


def test_no_marker_serves_nothing_until_stubs_are_added(run, project):
    project.makepyfile("""
        import json, pytest
        from helpers import call
        from pytest_cannery import CanneryError

        def test_runtime_stubs(cannery):
            assert cannery.stubs() == []
            assert cannery.add_stub({"name": "ping", "request": {"path": "/ping"},
                                     "response": {"json": {"pong": True}}}) == ["ping"]
            assert cannery.add_stub("- request: {path: /a}\\n  response: {body: A}\\n"
                                    "- request: {path: /b}\\n  response: {body: B}\\n") == ["runtime-1", "runtime-2"]
            assert call(cannery.url + "/ping") == (200, '{"pong":true}')
            assert call(cannery.url + "/b") == (200, "B")
            cannery.remove_stub("ping")
            assert call(cannery.url + "/ping")[0] == 404
            with pytest.raises(CanneryError) as e:
                cannery.add_stub("request:\\n  path: /x\\n  metod: GET\\n")
            assert "body:3:3: error: unknown key 'metod' in 'request' (did you mean 'method'?)" in str(e.value)
            assert "   3 |   metod: GET" in str(e.value)
    """)
    run().assert_outcomes(passed=1)


def test_failed_verify_shows_the_near_misses(run, project):
    project.makepyfile("""
        import pytest
        from helpers import call

        @pytest.mark.cannery(stubs="stubs")
        def test_fails(cannery):
            call(cannery.url + "/api/users", "POST", {"name": "Ada"}, {"Authorization": "Bearer t"})
            call(cannery.url + "/api/users")
            cannery.verify(method="PUT", path="/api/users", count=1)
    """)
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*cannery.verify(method=\"PUT\", path=\"/api/users\", count=1)",
        "E *AssertionError: cannery verify failed: expected exactly 1 request matching",
        'E *{"method": "PUT", "path": "/api/users"}',
        "E *but none matched.",
        "E *Closest requests in the journal (fewest failed conditions first):",
        "E *#2 GET /api/users",
        'E *x method: expected "PUT", got "GET"',
        "E *#1 POST /api/users",
        'E *x method: expected "PUT", got "POST"',
        "*Captured cannery log (call)*",
        "*POST /api/users 201*",
        "*GET /api/users 200*",
        "=*short test summary info*",
    ])
    # the traceback stops at the test's line, not inside the plugin
    assert "server.py" not in result.stdout.str()
    # the log section leaves out the fixture's own admin calls
    assert "/__cannery/" not in result.stdout.str()


def test_verify_ranges_and_too_many(run, project):
    project.makepyfile("""
        import pytest
        from helpers import call

        @pytest.mark.cannery(stubs="stubs")
        def test_range(cannery):
            for _ in range(3):
                call(cannery.url + "/api/users")
            assert cannery.verify(path="/api/users", at_least=2, at_most=3) == 3
            assert cannery.verify({"path": "/api/users"}) == 3
            cannery.verify(path="/api/users", at_most=2)
    """)
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "E *AssertionError: cannery verify failed: expected at most 2 requests matching",
        'E *{"path": "/api/users"}',
        "E *but 3 requests matched.",
        "E *(Every one of them matched: there were too many, not too few.)",
    ])


def test_verify_with_an_empty_journal(run, project):
    project.makepyfile("""
        import pytest

        @pytest.mark.cannery(stubs="stubs")
        def test_nothing(cannery):
            cannery.verify(method="POST", path="/api/users",
                           headers={"authorization": "Bearer t0k3n"},
                           body={"json": {"name": "Ada Lovelace", "email": "ada@example.com"}})
    """)
    result = run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "E *AssertionError: cannery verify failed: expected at least 1 request matching",
        'E *    method: "POST"',
        'E *    path: "/api/users"',
        'E *    headers: {"authorization": "Bearer t0k3n"}',
        'E *    body: {"json": {"name": "Ada Lovelace", "email": "ada@example.com"}}',
        "E *but none matched.",
        "E *No other request is in the journal.",
    ])


def test_wait_for_a_background_request_and_its_timeout(run, project):
    project.makepyfile("""
        import threading, pytest
        from helpers import call

        @pytest.mark.cannery(stubs="stubs")
        def test_wait(cannery):
            t = threading.Thread(target=call, args=(cannery.url + "/api/users",))
            t.start()
            assert cannery.wait(path="/api/users") == 1
            t.join()

        @pytest.mark.cannery(stubs="stubs")
        def test_timeout(cannery):
            call(cannery.url + "/api/users")
            cannery.wait(path="/api/users", count=2, timeout=0.2)
    """)
    result = run()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "E *AssertionError: cannery wait (0.2 s) failed: expected at least 2 requests matching",
        "E *but 1 request matched.",
    ])


def test_tests_share_a_reset_server_unless_fresh(run, project):
    project.makepyfile("""
        import pytest
        from helpers import call

        seen = {}
        pytestmark = pytest.mark.cannery(stubs="stubs")

        def test_one(cannery):
            seen["one"] = cannery.proc.pid
            cannery.add_stub({"name": "extra", "request": {"path": "/extra"}, "response": {"body": "x"}})
            call(cannery.url + "/api/users")
            call(cannery.url + "/extra")

        def test_two_sees_a_clean_server(cannery):
            assert cannery.proc.pid == seen["one"]          # the same process
            assert cannery.requests() == []                 # journal reset
            assert [s["id"] for s in cannery.stubs()] == ["list-users", "create-user"]

        @pytest.mark.cannery(stubs="stubs", fresh=True)
        def test_three_fresh(cannery):
            assert cannery.proc.pid != seen["one"]
            seen["three"] = cannery

        def test_four_after_fresh(cannery):
            assert not seen["three"].running                # the fresh one was stopped
            assert cannery.proc.pid == seen["one"]
    """)
    run().assert_outcomes(passed=4)


def test_indirect_parameters_and_the_factory(run, project):
    project.makepyfile("""
        import pytest
        from helpers import call

        @pytest.mark.parametrize("cannery", [{"stubs": "stubs"}, {}], indirect=True)
        def test_indirect(cannery):
            assert call(cannery.url + "/api/users")[0] in (200, 404)

        @pytest.fixture(scope="module")
        def api(cannery_factory):
            with cannery_factory.start(stubs="stubs", args=["--journal-limit", "5"]) as server:
                yield server

        def test_module_server(api):
            for _ in range(7):
                call(api.url + "/api/users")
            assert api.count() == 5                          # --journal-limit reached the server

        def test_factory_call_resets(cannery_factory):
            server = cannery_factory(stubs="stubs")
            call(server.url + "/api/users")
            assert cannery_factory(stubs="stubs") is server
            assert server.count() == 0
    """)
    run().assert_outcomes(passed=4)


def test_openapi_and_wiremock_roots(run, project):
    project.mkdir("wm")
    project.mkdir("wm/mappings")
    (project.path / "wm" / "mappings" / "hello.json").write_text(
        '{"request": {"method": "GET", "url": "/hello"}, "response": {"status": 200, "body": "hi"}}')
    (project.path / "spec.yaml").write_text("""\
openapi: 3.0.3
info: { title: pets, version: "1" }
paths:
  /pets/{id}:
    get:
      parameters:
        - { name: id, in: path, required: true, schema: { type: integer } }
      responses:
        "200":
          description: a pet
          content:
            application/json:
              example: { id: 7, name: Rex }
""")
    project.makepyfile("""
        import json, pytest
        from helpers import call

        @pytest.mark.cannery(openapi="spec.yaml", wiremock="wm")
        def test_both(cannery):
            assert call(cannery.url + "/hello") == (200, "hi")
            status, text = call(cannery.url + "/pets/7")
            assert status == 200 and json.loads(text)["name"] == "Rex"
            assert call(cannery.url + "/pets/abc")[0] == 422   # validated against the spec
    """)
    run().assert_outcomes(passed=1)


def test_a_bad_stub_file_fails_with_its_location(run, project):
    project.mkdir("bad")
    (project.path / "bad" / "typo.yaml").write_text("- request:\n    path: /x\n  respons:\n    body: x\n")
    project.makepyfile("""
        import pytest

        @pytest.mark.cannery(stubs="bad")
        def test_never_runs(cannery):
            pass
    """)
    result = run()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([
        "*cannery exited with status 1 before it was ready*",
        "*bad/typo.yaml:3:3: error: unknown key 'respons'*",
    ])


def test_binary_option_env_and_path(run, project, cannery_bin, monkeypatch):
    project.makepyfile("""
        def test_x(cannery):
            pass
    """)
    monkeypatch.setenv("CANNERY_BIN", "/nonexistent/cannery")
    run().stdout.fnmatch_lines(["*CANNERY_BIN names '/nonexistent/cannery', which is not an executable file*"])
    # the option beats the variable
    run("--cannery-bin", cannery_bin).assert_outcomes(passed=1)
    run("--cannery-bin", "nope-no-such").stdout.fnmatch_lines(
        ["*--cannery-bin names 'nope-no-such', which is not an executable file*"])
    monkeypatch.delenv("CANNERY_BIN")
    monkeypatch.setenv("PATH", str(project.path))
    result = run()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*cannery binary not found: there is no `cannery` on PATH*--cannery-bin PATH*"])


def test_environment_does_not_leak_into_the_server(run, project, monkeypatch):
    # a shell's CANNERY_ADMIN_TOKEN would lock the fixture out of the admin API
    monkeypatch.setenv("CANNERY_ADMIN_TOKEN", "from-the-shell")
    project.makepyfile("""
        import pytest

        def test_open(cannery):
            assert cannery.count() == 0

        @pytest.mark.cannery(admin_token="s3cret")
        def test_token(cannery):
            assert cannery.count() == 0                 # the client sends the token
    """)
    run().assert_outcomes(passed=2)


def test_marker_rejects_unknown_options(run, project):
    project.makepyfile("""
        import pytest

        @pytest.mark.cannery(stub="stubs")
        def test_typo(cannery):
            pass
    """)
    result = run()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*TypeError: unknown cannery option stub (known: stubs, *"])


def test_a_server_that_exits_badly_is_an_error(run, project):
    # a stand-in binary that is ready at once and exits 3 on SIGTERM, as a cannery with
    # a leak report under ASan would
    fake = project.path / "fake-cannery"
    fake.write_text("#!/bin/sh\n"
                    "trap 'kill $!; echo \"LeakSanitizer: detected memory leaks\" >&2; exit 3' TERM\n"
                    "echo 'cannery: serving 0 stubs on http://127.0.0.1:9'\n"
                    "sleep 600 & wait $!\n")
    fake.chmod(0o755)
    project.makepyfile("""
        import pytest

        @pytest.mark.cannery(fresh=True)
        def test_fresh(cannery):
            assert cannery.url == "http://127.0.0.1:9"
    """)
    result = run("--cannery-bin", str(fake))
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([
        "*ERROR at teardown of test_fresh*",
        "*cannery (http://127.0.0.1:9) exited with status 3 when stopped:*",
        "*LeakSanitizer: detected memory leaks*",
    ])


def test_many_fresh_servers_hold_no_files(run, project):
    project.makepyfile("""
        import os, pytest

        def open_fds():
            return len(os.listdir("/proc/self/fd"))

        counts = []

        @pytest.mark.parametrize("i", range(30))
        @pytest.mark.cannery(fresh=True)
        def test_fresh(cannery, i):
            counts.append(open_fds())

        def test_after():
            # a leak of one descriptor per fresh server would show as 29 more here
            assert counts[-1] - counts[0] < 5, counts
    """)
    run().assert_outcomes(passed=31)
