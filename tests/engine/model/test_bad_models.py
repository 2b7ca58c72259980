"""Bad model files: each gives one clear ModelError, and `lookalike` exits 2 with one stderr line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from lookalike.engine.errors import ModelError
from lookalike.engine.model.embedder import Embedder

from lookalike.cli.main import main
from tests.engine.bad_corpus import encoded, sample_rgb
from tests.engine.bad_models import BAD_MODEL_NAMES, make_bad_models


@pytest.fixture(scope="module")
def bad_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    return make_bad_models(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pictures")
    for i in range(3):
        (root / f"{i}.png").write_bytes(encoded(sample_rgb(seed=i), "PNG"))
    return root


@pytest.mark.parametrize("name", BAD_MODEL_NAMES)
def test_bad_model_raises_one_clear_model_error(bad_models: dict[str, tuple[Path, str]], name: str) -> None:
    path, words = bad_models[name]
    with pytest.raises(ModelError) as info:
        Embedder(path, device="cpu")
    message = str(info.value)
    assert words in message
    assert "\n" not in message
    assert len(message) < 400


@pytest.mark.parametrize("name", BAD_MODEL_NAMES)
def test_cli_exits_2_with_one_stderr_line(
    bad_models: dict[str, tuple[Path, str]],
    folder: Path,
    name: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, words = bad_models[name]
    code = main(["embed", str(folder), "--model", str(path), "--device", "cpu"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("lookalike: error: ")
    assert words in lines[0]


def test_a_good_model_still_loads_after_bad_ones(
    bad_models: dict[str, tuple[Path, str]], projection_model_path: Path, folder: Path
) -> None:
    """Failing loads leave no global state behind (the GUI keeps using its previous model)."""
    for path, _ in bad_models.values():
        with pytest.raises(ModelError):
            Embedder(path, device="cpu")
    vec = Embedder(projection_model_path, device="cpu").embed_file(folder / "0.png")
    assert vec.shape == (48,)
    assert np.isclose(np.linalg.norm(vec), 1.0, atol=1e-5)


def _cuda_really_runs(model: Path) -> bool:
    """Ask ONNX Runtime directly which providers a session ends up with (the independent truth)."""
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        return False
    session = ort.InferenceSession(str(model), providers=["CUDAExecutionProvider", "CPUExecutionProvider"])
    return session.get_providers()[0] == "CUDAExecutionProvider"


def test_cuda_is_refused_where_it_cannot_run_and_reported_where_it_does(projection_model_path: Path) -> None:
    if _cuda_really_runs(projection_model_path):
        embedder = Embedder(projection_model_path, device="cuda")
        assert embedder.provider == "CUDA"
        assert embedder.session.get_providers()[0] == "CUDAExecutionProvider"
    else:
        with pytest.raises(ModelError, match="CUDA was asked for"):
            Embedder(projection_model_path, device="cuda")


@pytest.mark.parametrize("device", ["auto", "cpu"])
def test_reported_provider_is_the_one_running(projection_model_path: Path, device: str) -> None:
    embedder = Embedder(projection_model_path, device=device)
    first = embedder.session.get_providers()[0]
    assert embedder.provider == {"CUDAExecutionProvider": "CUDA", "CPUExecutionProvider": "CPU"}[first]
    if device == "cpu":
        assert embedder.session.get_providers() == ["CPUExecutionProvider"]


def test_cli_cuda_where_it_cannot_run_exits_2(
    projection_model_path: Path, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if _cuda_really_runs(projection_model_path):
        pytest.skip("this machine runs CUDA: nothing to refuse")
    code = main(["embed", str(folder), "--model", str(projection_model_path), "--device", "cuda"])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.strip().splitlines() == [err.strip()]
    assert "CUDA" in err
