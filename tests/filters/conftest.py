import pytest


@pytest.fixture(scope="session")
def demo_models(tmp_path_factory) -> str:
    """The demo models, trained once per test session into a temporary cache."""
    from filters.models.demo import ensure_demo_models

    from filters.models.registry import has_model

    root = ensure_demo_models(tmp_path_factory.mktemp("demo-models") / "m")
    if not has_model(root, "kenlm", "en"):
        pytest.skip("KenLM's lmplz is not built: run scripts/build_kenlm.sh (the Makefile set-up does)")
    return root
