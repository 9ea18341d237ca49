"""The emulator framework with a throw-away front end: no AWS anywhere."""

from __future__ import annotations

import http.client
import json
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from typing import Any

import pytest
from hpo_bridge_localstack.framework import Emulator, registry
from hpo_bridge_localstack.framework.children import ChildStartError, port_open
from hpo_bridge_localstack.testing import emulator
from toy_frontend import ToyFrontEnd


@pytest.fixture(autouse=True)
def toy():
    registry.register("toy", ToyFrontEnd, "a throw-away front end")
    yield
    registry.unregister("toy")


def call(url: str, method: str = "GET", payload: Any = None, headers: dict | None = None,
         context: ssl.SSLContext | None = None) -> tuple[int, Any]:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as resp:
            status, body = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body.decode()


BUILT_IN = sorted(entry.name for entry in registry.BUILTIN)


def test_registry_lists_builtin_and_registered_front_ends():
    assert "sagemaker" in BUILT_IN
    assert registry.available() == sorted([*BUILT_IN, "toy"])
    assert registry.entry("toy").description == "a throw-away front end"
    with pytest.raises(registry.UnknownEmulator) as info:
        registry.entry("nosuch")
    assert str(info.value) == ("unknown emulator 'nosuch' (available:"
                               f" {', '.join(sorted([*BUILT_IN, 'toy']))})")
    registry.unregister("toy")
    assert registry.available() == BUILT_IN


def test_routes_by_path_on_a_free_port():
    with emulator("toy") as emu:
        assert emu.port != 0
        assert emu.url == f"http://127.0.0.1:{emu.port}"
        assert call(f"{emu.url}/v1/things/a1") == (200, {"name": "a1"})
        assert call(f"{emu.url}/v1/things/a1:cancel", "POST", {}) == (200, {"cancelled": "a1"})
        assert call(f"{emu.url}/raw/x/y") == (200, "raw /raw/x/y")
        assert call(f"{emu.url}/v1/nothing") == (404, {"error": {
            "code": 404, "message": "/v1/nothing not found", "status": "NOT_FOUND"}})
        assert emu.stats()["calls"] == {"CancelThing": 1, "GetThing": 1, "raw:GET": 1}
        assert emu.env() == {"TOY_API_ENDPOINT": emu.url}
        frontend = emu.frontend
    assert isinstance(frontend, ToyFrontEnd) and frontend.closed
    assert not port_open("127.0.0.1", emu.port)


@pytest.mark.parametrize(("kind", "code", "status"), [
    ("throttle", 429, "RESOURCE_EXHAUSTED"), ("error", 503, "UNAVAILABLE"),
    ("deny", 403, "PERMISSION_DENIED"),
])
def test_faults_in_the_front_ends_error_shape(kind, code, status):
    with emulator("toy", faults=[f"GetThing:{kind}:1"]) as emu:
        assert call(f"{emu.url}/v1/things/a") == (code, {"error": {
            "code": code, "message": f"GetThing: injected {kind}", "status": status}})
        assert call(f"{emu.url}/v1/things/a") == (200, {"name": "a"})
        stats = emu.stats()
        assert stats["calls"] == {"GetThing": 2}
        assert stats["faults_injected"] == {f"GetThing:{kind}": 1}


def test_drop_wildcard_and_internal_calls():
    with emulator("toy") as emu:
        emu.inject_fault("*", "drop", 1)
        with pytest.raises((ConnectionError, http.client.HTTPException, urllib.error.URLError)):
            call(f"{emu.url}/raw/a")
        # The emulator's own calls are neither faulted nor counted.
        emu.inject_fault("WhoAmI", "deny", 1)
        assert call(f"{emu.url}/v1/whoami", headers={"X-Toy-Internal": "1"}) == (
            200, {"internal": True})
        assert emu.stats()["calls"] == {"raw:GET": 1}
        assert call(f"{emu.url}/v1/whoami")[0] == 403


def test_a_handlers_exception_is_the_front_ends_internal_error():
    with emulator("toy") as emu:
        code, body = call(f"{emu.url}/v1/boom")
        assert (code, body["error"]["status"]) == (503, "UNAVAILABLE")


def test_control_routes():
    with emulator("toy") as emu:
        base = f"{emu.url}/_emulator"
        assert call(f"{base}/health") == (200, {"status": "ok", "emulator": "toy",
                                                "children": [], "toy": True})
        assert call(f"{base}/env") == (200, {"TOY_API_ENDPOINT": emu.url})
        assert call(f"{base}/faults", "POST", {"faults": ["GetThing:throttle:2"]}) == (
            200, {"pending": [{"operation": "GetThing", "kind": "throttle", "remaining": 2}]})
        assert call(f"{base}/faults", "POST", {"operation": "X", "kind": "melt"})[0] == 400
        call(f"{emu.url}/v1/things/a")
        assert call(f"{base}/stats")[1]["calls"] == {"GetThing": 1}
        assert call(f"{base}/stats/reset", "POST", {})[1]["calls"] == {}
        assert call(f"{base}/faults", "DELETE") == (200, {"pending": []})
        assert call(f"{emu.url}/v1/things/a")[0] == 200
        assert call(f"{base}/nothing")[0] == 404


def test_a_child_process_lives_as_long_as_the_emulator():
    with emulator("toy", child=True) as emu:
        child = emu.frontend.child
        assert child is not None and child.running and port_open("127.0.0.1", child.port)
        assert call(f"{emu.url}/_emulator/health")[1]["children"] == [
            {"name": "storage", "port": child.port, "running": True}]
        assert emu.env()["TOY_STORAGE_HOST"] == f"http://127.0.0.1:{child.port}"
        assert (emu.work_dir / "children" / "storage.log").exists()
    assert not child.running
    assert not port_open("127.0.0.1", child.port)


def test_a_child_that_cannot_start_stops_the_emulator_cleanly():
    emu = Emulator("toy", bad_child=True)
    with pytest.raises(ChildStartError, match="storage exited with code 3 .*no luck"):
        emu.start()
    assert emu.port != 0 and not port_open("127.0.0.1", emu.port)
    assert emu.frontend is None  # closed


def test_https_with_a_certificate_made_at_start():
    with emulator("toy", tls=True) as emu:
        assert emu.url.startswith("https://127.0.0.1:")
        trusted = ssl.create_default_context(cafile=emu.env()["REQUESTS_CA_BUNDLE"])
        assert call(f"{emu.url}/v1/things/b", context=trusted) == (200, {"name": "b"})
        emu.inject_fault("GetThing", "throttle", 1)
        assert call(f"{emu.url}/v1/things/b", context=trusted)[0] == 429
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            call(f"{emu.url}/v1/things/b", context=ssl.create_default_context())


def test_emulate_without_a_name_lists_the_emulators():
    result = subprocess.run(
        [sys.executable, "-c", "from hpo_bridge.cli import main; main()", "emulate"],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == BUILT_IN
    assert "sagemaker\tAmazon SageMaker tuning, with moto's S3 and CloudWatch Logs" in lines
