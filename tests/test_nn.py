import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import shearfeat as sf  # noqa: E402
from shearfeat.nn import (Classifier, CoShNet, ComplexAvgPool2d,  # noqa: E402
                          ComplexBatchNorm2d, ComplexConv2d, ComplexLinear,
                          ShearletFeatures, SplitReLU, fit)


def shapes(n, seed, size=28):
    """Three classes drawn at random places and sizes with noise: disk, square, cross."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[:size, :size]
    X = np.empty((n, size, size), np.uint8)
    y = rng.integers(0, 3, n)
    for i in range(n):
        r, c = rng.uniform(9, size - 9, 2)
        h = rng.uniform(4, 7)
        if y[i] == 0:
            mask = (rows - r) ** 2 + (cols - c) ** 2 <= h ** 2
        elif y[i] == 1:
            mask = (np.abs(rows - r) <= h) & (np.abs(cols - c) <= h)
        else:
            mask = ((np.abs(rows - r) <= 1.2) & (np.abs(cols - c) <= h)) | (
                (np.abs(cols - c) <= 1.2) & (np.abs(rows - r) <= h))
        image = 40 + 150 * mask + rng.normal(0, 20, (size, size))
        X[i] = np.clip(image, 0, 255).astype(np.uint8)
    return X, y


@pytest.fixture(scope="module")
def trained():
    X, y = shapes(600, 0)
    clf = fit(X, y, epochs=6, batch_size=32, lr=3e-3, progress=False, seed=1)
    return clf


def test_features_equal_extract():
    rng = np.random.default_rng(0)
    for shape in ((32, 32), (28, 40)):
        x = rng.random((3,) + shape).astype(np.float32)
        module = ShearletFeatures(shape)
        got = module(torch.from_numpy(x)).numpy()
        want = sf.extract(x, features="coefficients", preset="small")
        assert got.shape == want.shape == (3, 20) + shape
        np.testing.assert_allclose(got, want, atol=2e-5 * np.abs(want).max())
    assert not list(module.parameters())                      # fixed filters: buffers
    with pytest.raises(ValueError, match="images must be"):
        module(torch.zeros(2, 32, 32))


@pytest.mark.parametrize("backend", ["real", "native"])
def test_gradients_of_complex_layers(backend):
    torch.manual_seed(0)
    dt = torch.complex128
    conv = ComplexConv2d(2, 3, 3, padding=1, backend=backend, dtype=dt)
    linear = ComplexLinear(12, 4, backend=backend, dtype=dt)
    with torch.no_grad():                     # non-zero biases, so that they are checked
        conv.bias.normal_()
        linear.bias.normal_()
    net = torch.nn.Sequential(conv, SplitReLU(), ComplexAvgPool2d(2), torch.nn.Flatten(),
                              linear)
    x = torch.randn(2, 2, 4, 4, dtype=dt, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: net(v), (x,))
    params = [conv.weight, linear.weight, linear.bias]
    assert torch.autograd.gradcheck(
        lambda *p: torch.func.functional_call(
            net, {"0.weight": p[0], "4.weight": p[1], "4.bias": p[2],
                  "0.bias": conv.bias}, (x.detach(),)), tuple(params))


@pytest.mark.parametrize("name", ["tiny", "base"])
def test_backends_give_the_same_numbers(name):
    # "real" runs the layers' stacked [re, im] forms end to end, "native" complex tensors
    torch.manual_seed(0)
    a = getattr(CoShNet, name)(backend="real")
    b = getattr(CoShNet, name)(backend="native")
    b.load_state_dict(a.state_dict())
    x = torch.randn(4, 32, 32)
    torch.testing.assert_close(a(x), b(x), atol=1e-4, rtol=1e-4)      # batch statistics
    a.eval()
    b.eval()
    torch.testing.assert_close(a(x), b(x), atol=1e-4, rtol=1e-4)      # running ones


def test_parameter_counts():
    assert CoShNet.tiny().n_parameters() <= 50_000
    assert CoShNet.base().n_parameters() == pytest.approx(1.37e6, rel=0.01)
    with pytest.raises(ValueError, match="too small"):
        CoShNet.base(shape=(12, 12))


def test_batch_norm_normalises_real_and_imaginary_parts():
    torch.manual_seed(0)
    norm = ComplexBatchNorm2d(3)
    x = torch.complex(3 + 2 * torch.randn(16, 3, 5, 5), -1 + 0.5 * torch.randn(16, 3, 5, 5))
    y = norm(x)
    assert y.dtype == torch.complex64 and y.shape == x.shape
    for part in (y.real, y.imag):
        torch.testing.assert_close(part.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-5,
                                   rtol=0)
        torch.testing.assert_close(part.var(dim=(0, 2, 3), unbiased=False), torch.ones(3),
                                   atol=1e-3, rtol=0)
    norm.eval()                                   # running statistics after one step
    torch.testing.assert_close(norm.norm.running_mean[:3], 0.1 * x.real.mean(dim=(0, 2, 3)))
    torch.testing.assert_close(norm.norm.running_mean[3:], 0.1 * x.imag.mean(dim=(0, 2, 3)))


def test_model_with_batch_norm_trains_saves_and_loads(tmp_path):
    X, y = shapes(200, 6)
    model = CoShNet(3, (32, 32), channels=(8, 8), hidden=(), kernel_size=3, norm=True)
    assert sum(isinstance(m, ComplexBatchNorm2d) for m in model.modules()) == 2
    clf = fit(X, y, model=model, epochs=2, batch_size=32, progress=False,
              schedule="cosine")
    path = tmp_path / "bn.npz"
    clf.save(path)
    loaded = Classifier.load(path)
    assert loaded.model.config["norm"] is True
    np.testing.assert_allclose(loaded.predict_proba(X[:20]), clf.predict_proba(X[:20]),
                               rtol=1e-5, atol=1e-6)


def test_cosine_schedule_anneals_to_zero(monkeypatch):
    X, y = shapes(64, 3)
    seen = []
    step = torch.optim.Adam.step

    def record(self, *args, **kwargs):
        seen.append(self.param_groups[0]["lr"])
        return step(self, *args, **kwargs)
    monkeypatch.setattr(torch.optim.Adam, "step", record)
    fit(X, y, epochs=2, batch_size=16, lr=1e-2, progress=False, schedule="cosine")
    assert len(seen) == 8 and seen[0] == pytest.approx(1e-2)
    assert all(a > b for a, b in zip(seen, seen[1:]))          # decreasing every step
    assert seen[-1] == pytest.approx(1e-2 * (1 + np.cos(np.pi * 7 / 8)) / 2)


def test_initialisation_is_glorot_like():
    conv = ComplexConv2d(20, 30, 5)
    expected = 2 / (20 * 25 + 30 * 25)
    assert conv.weight.abs().pow(2).mean().item() == pytest.approx(expected, rel=0.1)


def test_synthetic_task_is_learnt(trained):
    X, y = shapes(300, 5)
    assert trained.score(X, y) > 0.9
    probabilities = trained.predict_proba(X[:7])
    assert probabilities.shape == (7, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
    assert trained.history[-1]["loss"] < trained.history[0]["loss"]
    assert "Classifier(3 classes" in repr(trained)


def test_save_load_round_trip(trained, tmp_path):
    X, _ = shapes(50, 9)
    path = tmp_path / "model.weights"                     # any name is kept as given
    trained.save(path)
    loaded = Classifier.load(path)
    np.testing.assert_array_equal(loaded.predict(X), trained.predict(X))
    np.testing.assert_allclose(loaded.predict_proba(X), trained.predict_proba(X), rtol=1e-6)
    assert loaded.history == trained.history
    with pytest.raises(ValueError, match="trained on"):
        loaded.predict(np.zeros((2, 30, 30), np.uint8))


def test_load_never_unpickles(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, config=np.array([{"format": "x"}], dtype=object))
    with pytest.raises(ValueError, match="pickled objects, which shearfeat never loads"):
        Classifier.load(path)
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="not a shearfeat model file"):
        Classifier.load(tmp_path / "other.npz")


def test_fit_is_deterministic_for_a_seed():
    X, y = shapes(64, 3)
    a = fit(X, y, epochs=1, batch_size=16, progress=False, seed=4)
    b = fit(X, y, epochs=1, batch_size=16, progress=False, seed=4)
    for (name, p), q in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        assert torch.equal(p, q), name


def test_string_labels_float_images_and_validation():
    X, y = shapes(90, 4)
    names = np.array(["disk", "square", "cross"])[y]
    clf = fit(X / 255.0, names, epochs=1, progress=False, validation=0.2)
    assert set(clf.predict(X[:10] / 255.0)) <= set(names)
    assert "validation_accuracy" in clf.history[0]
    clf = fit(X, y, epochs=1, progress=False, validation=(X[:20], y[:20]))
    assert 0 <= clf.history[0]["validation_accuracy"] <= 1


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(X=np.zeros((4, 28)), y=np.zeros(4)), ValueError, "rows, cols"),
    (dict(y=np.zeros(3)), ValueError, "1-D array of 8 labels"),
    (dict(X=np.full((8, 28, 28), 3.0)), ValueError, r"lie in \[0, 1\]"),
    (dict(X=np.full((8, 28, 28), np.nan)), ValueError, "NaN"),
    (dict(y=np.zeros(8)), ValueError, "two classes"),
    (dict(model="huge"), ValueError, "model must be one of"),
    (dict(epochs=0), ValueError, "epochs"),
    (dict(lr=-1.0), ValueError, "lr"),
    (dict(schedule="step"), ValueError, "schedule must be one of"),
    (dict(device="tpu"), ValueError, "device"),
    (dict(validation=1.5), ValueError, "fraction"),
])
def test_fit_rejects_bad_input(kwargs, error, message):
    args = dict(X=np.zeros((8, 28, 28), np.uint8), y=np.arange(8) % 2, epochs=1,
                progress=False)
    args.update(kwargs)
    with pytest.raises(error, match=message):
        fit(args.pop("X"), args.pop("y"), **args)


def test_torch_is_optional():
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'torch' or name.startswith('torch.'):\n"
        "            raise ImportError('No module named torch')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import shearfeat, numpy as np\n"
        "shearfeat.edges(np.eye(16))\n"
        "assert 'torch' not in sys.modules\n"
        "try:\n"
        "    import shearfeat.nn\n"
        "except ImportError as exc:\n"
        "    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "pip install 'shearfeat[nn]'" in out


def test_import_shearfeat_does_not_import_torch():
    out = subprocess.run([sys.executable, "-c", "import sys, shearfeat; "
                          "print('torch' in sys.modules)"], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


def _model_variants(path):
    """Broken copies of the model file at ``path``: name -> (new path, expected message)."""
    import json
    data = dict(np.load(path))
    config = json.loads(str(data["config"]))
    weight = next(k for k in data if k.startswith("weight:"))
    out = {}

    def variant(name, message, **change):
        copy = dict(data)
        copy.update(change)
        target = path.with_name(f"{name}.npz")
        np.savez(target, **copy)
        out[name] = (target, message)

    def configured(edit):
        c = json.loads(json.dumps(config))
        edit(c)
        return np.array(json.dumps(c))

    variant("nan_weights", "holds NaN or infinite", **{weight: data[weight] * np.nan})
    variant("nan_std", "std must be a finite number",
            config=configured(lambda c: c["preprocess"].update(std=float("nan"))))
    variant("zero_std", "must be positive",
            config=configured(lambda c: c["preprocess"].update(std=0.0)))
    variant("short_classes", r"labels are int64 \(1,\), expected \d+ integer or string",
            classes=np.array([0]))
    variant("repeated_classes", "labels repeat", classes=np.zeros_like(data["classes"]))
    variant("list_config", "is a list, not an object", config=np.array("[1, 2]"))
    variant("extra_key", "has the keys", config=configured(lambda c: c.update(extra=1)))
    variant("wrong_weights", "expected complex of shape",
            **{weight: np.zeros((3, 3), data[weight].dtype)})
    variant("huge", "implies more than",
            config=configured(lambda c: c["model"].update(channels=[4096], hidden=[65536])))
    variant("huge_shape", "shape must be a list of 2 integers",
            config=configured(lambda c: c["model"].update(shape=[10 ** 6, 10 ** 6])))
    raw = path.read_bytes()
    for name, content, message in [
            ("truncated", raw[: len(raw) // 2], "not a readable .npz"),
            ("bitflip", raw[: len(raw) // 2] + bytes([raw[len(raw) // 2] ^ 0xFF])
             + raw[len(raw) // 2 + 1:], "damaged|not a readable"),
            ("empty", b"", "not a readable .npz"),
            ("text", b"hello, this is text\n", "not a readable .npz")]:
        target = path.with_name(f"{name}.npz")
        target.write_bytes(content)
        out[name] = (target, message)
    return out


def test_model_files_are_checked_in_full(trained, tmp_path):
    path = tmp_path / "good.npz"
    trained.save(path)
    for name, (broken, message) in _model_variants(path).items():
        with pytest.raises(ValueError, match=message) as info:
            Classifier.load(broken)
        assert "is not a shearfeat model file" in str(info.value), name
        assert "allow_pickle" not in str(info.value), name
    np.save(tmp_path / "array.npy", np.zeros(3))
    with pytest.raises(ValueError, match="a single .npy array"):
        Classifier.load(tmp_path / "array.npy")


def test_labels_seed_and_batch_size_are_checked(trained):
    X, y = shapes(20, 3)
    with pytest.raises(ValueError, match=r"mixes labels of the types \['int', 'str'\]"):
        fit(X, [1, "x"] * 10, epochs=1, progress=False)
    with pytest.raises(ValueError, match="mixes labels"):
        fit(X, np.array([1, "x"] * 10, dtype=object), epochs=1, progress=False)
    with pytest.raises(ValueError, match="NaN or infinite labels"):
        fit(X, np.where(np.arange(20) == 3, np.nan, np.arange(20) % 2), epochs=1,
            progress=False)
    with pytest.raises(ValueError, match="fractional labels"):
        fit(X, np.arange(20) * 0.5, epochs=1, progress=False)
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got 'x'"):
        fit(X, y, seed="x")
    for bad in (0, -1, 2.5):
        with pytest.raises(ValueError, match="batch_size must be a positive integer"):
            trained.predict(X, batch_size=bad)
    clf = fit(X, (np.arange(20) % 2).astype(float), epochs=1, progress=False)
    assert clf.classes_.dtype.kind == "i"          # whole floats are integer labels


def test_missing_torch_says_how_to_get_the_right_build():
    code = ("import sys; sys.modules['torch'] = None\n"
            "try:\n    import shearfeat.nn\nexcept ImportError as e:\n    print(e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert "download.pytorch.org/whl/cpu" in done.stdout      # CPU-only machines
    assert "plain pip brings the CUDA build" in done.stdout   # GPU machines
