"""The Lambda layer installs what the tests ran against: pyproject.toml, the layer's requirements
and the two locks (locks/layer.txt for the Lambda runtime, locks/dev.txt for Python 3.11 here)
agree. `make lock` rewrites the locks after a dependency changes."""
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PROVIDED_BY_LAMBDA = {"boto3", "botocore", "s3transfer", "aws-lambda-powertools"}  # the runtime, the Powertools layer
# Packages whose versions may differ between the locks, each with why (none today: the shared
# resolution in `make lock` finds one version for both wherever one exists).
DIFFERENT_ON_PURPOSE: dict[str, str] = {}


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _requirements(lines: list[str]) -> list[Requirement]:
    return [Requirement(line) for line in (raw.split("#")[0].strip() for raw in lines) if line]


def _layer_requirements() -> list[Requirement]:
    return _requirements((ROOT / "layers/pressroom/requirements.txt").read_text().splitlines())


def _locked(name: str) -> dict[str, str]:
    text = (ROOT / "locks" / name).read_text()
    return {canonicalize_name(n): v for n, v in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.MULTILINE)}


def test_layer_requirements_are_the_projects_dependencies():
    project = _requirements(_project()["dependencies"])
    expected = {str(r) for r in project if canonicalize_name(r.name) not in PROVIDED_BY_LAMBDA}
    assert {str(r) for r in _layer_requirements()} == expected


def test_the_dev_lock_satisfies_every_dependency_and_dev_tool():
    project = _project()
    extras = project["optional-dependencies"]
    wanted, own = [], project["name"]
    pending = _requirements(project["dependencies"] + extras["dev"])
    while pending:  # the project's own extras (pressroom[local]) stand for what they list
        requirement = pending.pop()
        if canonicalize_name(requirement.name) == own:
            pending += [r for extra in requirement.extras for r in _requirements(extras[extra])]
        else:
            wanted.append(requirement)
    locked = _locked("dev.txt")
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in locks/dev.txt: run make lock"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"locks/dev.txt pins {name}=={locked[name]}, pyproject.toml wants {requirement}: run make lock")


def test_the_layer_lock_satisfies_the_layers_requirements_and_ships_nothing_lambda_provides():
    locked = _locked("layer.txt")
    for requirement in _layer_requirements():
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in locks/layer.txt: run make lock"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"locks/layer.txt pins {name}=={locked[name]}, the layer wants {requirement}: run make lock")
    assert not PROVIDED_BY_LAMBDA & set(locked)


def test_the_locks_agree_on_every_package_they_share():
    layer, dev = _locked("layer.txt"), _locked("dev.txt")
    assert set(layer) <= set(dev), "tests here run every package the layer ships"
    differ = {name: (layer[name], dev[name]) for name in set(layer) & set(dev)
              if layer[name] != dev[name] and name not in DIFFERENT_ON_PURPOSE}
    assert not differ, f"(layer, dev) versions differ: {differ}: run make lock"


def test_every_lock_pin_carries_hashes():
    for name in ("layer.txt", "dev.txt"):
        text = (ROOT / "locks" / name).read_text()
        for pin, continued, following in re.findall(r"^(\S+==\S+)( \\)?\n(.*)", text, re.MULTILINE):
            assert continued and following.strip().startswith("--hash=sha256:"), f"{name}: {pin}"
