"""Guard each package's public surface: ``__all__`` is the API (httpx's exported-members
test), errors share one hierarchy, ``router`` stays light."""

from __future__ import annotations
import __future__

import importlib
import pkgutil
import subprocess
import sys
import types

import pytest

PACKAGES = ("policies", "router", "classifier", "labeling", "serving")
# Names a package namespace holds that it does not define (imported for annotations).
NOT_DEFINED = {"TYPE_CHECKING"}


def public_modules() -> list[str]:
    """Each package and each public subpackage (no ``_private`` part in its name)."""
    names: list[str] = []
    for top in PACKAGES:
        package = importlib.import_module(top)
        names.append(top)
        for info in pkgutil.walk_packages(package.__path__, f"{top}."):
            if info.ispkg and not any(p.startswith("_") for p in info.name.split(".")):
                names.append(info.name)
    return names


def defined_public_names(module: types.ModuleType) -> list[str]:
    """The public names ``module`` defines or re-exports from tierroute (not stdlib or
    third-party names it imports for its own use, not submodules)."""
    out = []
    for name, value in vars(module).items():
        if name.startswith("_") or name in NOT_DEFINED:
            continue
        if isinstance(value, types.ModuleType | __future__._Feature):
            continue
        if isinstance(value, type | types.FunctionType | types.BuiltinFunctionType):
            if value.__module__.split(".")[0] not in PACKAGES:
                continue  # a class or function imported from elsewhere for own use
        out.append(name)
    return sorted(out)


@pytest.mark.parametrize("name", public_modules())
def test_all_is_what_the_package_defines(name: str) -> None:
    """httpx's check: ``__all__`` lists exactly the public names the package holds."""
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert len(exported) == len(set(exported)), f"{name}.__all__ repeats a name"
    for attr in exported:  # resolves lazy exports (serving's module __getattr__)
        assert getattr(module, attr) is not None, f"{name}.{attr}"
    assert sorted(exported) == defined_public_names(module)


def test_subpackages_are_found() -> None:
    """The export test covers every capability folder (guards the discovery above)."""
    found = set(public_modules())
    for name in (
        "classifier.inference",
        "classifier.training",
        "classifier.evaluation",
        "classifier.registry",
        "labeling.ingest",
        "labeling.shared",
        "labeling.replay",
        "labeling.review",
        "labeling.transfer",
    ):
        assert name in found


def test_errors_share_one_hierarchy() -> None:
    import policies

    for name in (
        "PolicyError",
        "PromptError",
        "ClassifierError",
        "LabelingError",
        "RegistryError",
        "BackendError",
    ):
        assert issubclass(getattr(policies, name), policies.TierrouteError)


def test_router_stays_light() -> None:
    """Routing imports no torch, transformers, mlflow, litellm, fastapi or sklearn."""
    code = (
        "import sys\n"
        "from router import route\n"
        "d = route('SELECT name FROM users WHERE id = 3; why is this slow?')\n"
        "assert d.speculative is False, d\n"
        "heavy = {'torch', 'transformers', 'mlflow', 'litellm', 'fastapi', 'sklearn'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
