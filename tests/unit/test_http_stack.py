"""The PingOne client's HTTP stack does no avoidable work per request."""

from __future__ import annotations

import sys
from importlib.abc import MetaPathFinder

from httpcore._synchronization import current_async_library


class Lookups(MetaPathFinder):
    """Records every module the import system has to search sys.path for."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(self, name, path=None, target=None):  # noqa: ANN001
        self.names.append(name)
        return None  # not ours to find: the next finder goes on


async def test_httpcore_asks_for_the_async_library_without_searching_sys_path():
    # httpcore asks `import sniffio` 6 times per request (its locks, events and cancel shields). anyio
    # 4.16 no longer brings sniffio, and a failed import is a search of sys.path every time: 47 us a
    # call, ~0.3 ms of CPU per PingOne request, 4-5 % of the operator's CPU in a burst (py-spy).
    # pyproject.toml asks for sniffio itself, so the import is a lookup in sys.modules (0.8 us).
    lookups = Lookups()
    sys.meta_path.insert(0, lookups)
    try:
        for _ in range(6):
            assert current_async_library() == "asyncio"
    finally:
        sys.meta_path.remove(lookups)
    assert lookups.names == []
