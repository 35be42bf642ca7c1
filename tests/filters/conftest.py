import pytest


@pytest.fixture(scope="session")
def demo_models(tmp_path_factory) -> str:
    """The demo models, trained once per test session into a temporary cache."""
    from filters.models.demo import ensure_demo_models

    return ensure_demo_models(tmp_path_factory.mktemp("demo-models") / "m")
