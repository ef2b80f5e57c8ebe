"""The Lambda layer installs what the tests ran against."""
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROVIDED_BY_LAMBDA = {"boto3", "aws-lambda-powertools"}  # the runtime and the Powertools layer


def _name(spec: str) -> str:
    return spec.split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip().lower()


def test_layer_requirements_are_the_projects_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    layer = [line.strip() for line in (ROOT / "layers/pressroom/requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    expected = sorted(s.replace(" ", "") for s in project if _name(s) not in PROVIDED_BY_LAMBDA)
    assert sorted(s.replace(" ", "") for s in layer) == expected
