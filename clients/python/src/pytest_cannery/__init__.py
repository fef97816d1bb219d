"""pytest-cannery: cannery, the mock API server, as a pytest fixture.

    @pytest.mark.cannery(stubs=["stubs"])
    def test_client(cannery):
        assert my_client.fetch_users(cannery.url) == [...]
        cannery.verify(method="GET", path="/api/users", count=1)

`start(...)` and `Cannery` work without pytest too (see docs/clients.md).
"""
from .server import Cannery, CanneryError, find_binary, start

__all__ = ["Cannery", "CanneryError", "find_binary", "start"]
__version__ = "0.1.0"
