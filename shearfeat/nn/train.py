"""``fit()``: raw image arrays in, a trained :class:`Classifier` out."""

from __future__ import annotations

import json
import math
import numbers
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .model import CoShNet

_FORMAT = "shearfeat.nn.Classifier/1"
MODELS = ("tiny", "base")
SCHEDULES = ("constant", "cosine")


@dataclass(frozen=True)
class Preprocess:
    """How raw images become model inputs: ``((x * scale) - mean) / std``, then zero
    padding (centred) to ``shape``."""

    scale: float
    mean: float
    std: float
    input_shape: tuple
    shape: tuple

    def __call__(self, images: np.ndarray) -> torch.Tensor:
        images = _as_images(images, "X")
        if images.shape[1:] != tuple(self.input_shape):
            raise ValueError(f"X has images of shape {images.shape[1:]}, the classifier was "
                             f"trained on {tuple(self.input_shape)}")
        x = (images.astype(np.float32) * np.float32(self.scale) - np.float32(self.mean)) \
            / np.float32(self.std)
        (top, bottom), (left, right) = _padding(self.input_shape, self.shape)
        x = np.pad(x, ((0, 0), (top, bottom), (left, right)))
        return torch.from_numpy(np.ascontiguousarray(x))


def _padding(input_shape, shape):
    return [((n - m) // 2, n - m - (n - m) // 2) for m, n in zip(input_shape, shape)]


def _as_images(X, name):
    X = np.asarray(X)
    if X.ndim != 3 or min(X.shape) < 1:
        raise ValueError(f"{name} must be an (n, rows, cols) array of grey images, got shape "
                         f"{X.shape}")
    if X.dtype == bool or not (np.issubdtype(X.dtype, np.integer)
                               or np.issubdtype(X.dtype, np.floating)):
        raise TypeError(f"{name} must hold integers or floats, got {X.dtype}")
    if np.issubdtype(X.dtype, np.floating) and not np.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return X


def _labels(y, n, name="y"):
    """``y`` as a 1-D array of ``n`` integer, bool or string labels (of one kind)."""
    if isinstance(y, (list, tuple)) and len({isinstance(v, str) for v in y}) > 1:
        kinds = {type(v).__name__ for v in y}     # numpy would turn them all into text
        raise ValueError(f"{name} mixes labels of the types {sorted(kinds)}; use integers "
                         "or strings, of one kind")
    try:
        y = np.asarray(y)
    except ValueError as exc:
        raise ValueError(f"{name} must be a 1-D array of {n} labels ({exc})") from None
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"{name} must be a 1-D array of {n} labels, got shape {y.shape}")
    if y.dtype.kind == "f":
        if not np.isfinite(y).all():
            raise ValueError(f"{name} holds NaN or infinite labels")
        if not (y == np.round(y)).all():
            raise ValueError(f"{name} holds fractional labels; labels are classes: "
                             "integers or strings")
        y = y.astype(np.int64)
    elif y.dtype.kind == "O":
        kinds = {type(v).__name__ for v in y}
        raise ValueError(f"{name} mixes labels of the types {sorted(kinds)}; use integers "
                         "or strings, of one kind")
    elif y.dtype.kind not in "iubU":
        raise ValueError(f"{name} must hold integer or string labels, got {y.dtype}")
    return y


def _batch_size(value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"batch_size must be a positive integer, got {value!r}")
    return int(value)


def _device(device):
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or a torch.device, got "
                         f"{device!r}") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' but PyTorch sees no CUDA device; use 'auto' or 'cpu'")
    return device


class Classifier:
    """A trained CoShNet with the preprocessing it was trained with.

    Made by :func:`fit` or :meth:`load`.  ``model`` is the torch module (features,
    complex layers and head), ``classes_`` the labels in the order of the model's
    outputs, ``history`` one dict per training epoch.
    """

    def __init__(self, model: CoShNet, preprocess: Preprocess, classes, history=(),
                 device="cpu"):
        self.model = model
        self.preprocess = preprocess
        self.classes_ = np.asarray(classes)
        self.history = list(history)
        self.device = torch.device(device)
        self.model.to(self.device)

    def __repr__(self):
        return (f"Classifier({len(self.classes_)} classes, input {tuple(self.preprocess.input_shape)}, "
                f"{self.model.n_parameters():,} parameters, device={self.device.type})")

    def to(self, device):
        """Move the model to ``device``; returns self."""
        self.device = _device(device)
        self.model.to(self.device)
        return self

    def _logits(self, X, batch_size):
        batch_size = _batch_size(batch_size)
        x = self.preprocess(X)
        self.model.eval()
        out = []
        with torch.no_grad():
            for start in range(0, x.shape[0], batch_size):
                out.append(self.model(x[start:start + batch_size].to(self.device)).cpu())
        return torch.cat(out)

    def predict_proba(self, X, *, batch_size=1024) -> np.ndarray:
        """(n, n_classes) class probabilities, columns in the order of ``classes_``."""
        return torch.softmax(self._logits(X, batch_size), dim=1).numpy()

    def predict(self, X, *, batch_size=1024) -> np.ndarray:
        """The most probable label of each image."""
        return self.classes_[self._logits(X, batch_size).argmax(dim=1).numpy()]

    def score(self, X, y, *, batch_size=1024) -> float:
        """Accuracy on images X with labels y."""
        y = _labels(y, np.asarray(X).shape[0])
        return float(np.mean(self.predict(X, batch_size=batch_size) == y))

    def save(self, path):
        """Write the weights and a JSON configuration to one ``.npz`` file at ``path``
        (exactly that name, or a binary file object).  :meth:`load` reads it without
        unpickling anything."""
        if self.classes_.dtype.kind not in "iub" and self.classes_.dtype.kind != "U":
            raise TypeError("only integer or string labels can be saved, got "
                            f"{self.classes_.dtype}")
        config = {"format": _FORMAT, "model": self.model.config,
                  "preprocess": asdict(self.preprocess), "history": self.history}
        arrays = {f"weight:{name}": tensor.detach().cpu().numpy()
                  for name, tensor in self.model.state_dict().items()}
        if hasattr(path, "write"):
            np.savez(path, config=np.array(json.dumps(config)), classes=self.classes_,
                     **arrays)
            return
        with open(path, "wb") as handle:
            np.savez(handle, config=np.array(json.dumps(config)), classes=self.classes_,
                     **arrays)

    @classmethod
    def load(cls, path, *, device="cpu") -> "Classifier":
        """Read a classifier written by :meth:`save`.

        Nothing is unpickled and nothing is trusted: the configuration must have the
        keys, types and bounded sizes that :meth:`save` writes, every weight must be
        present with the shape the configuration implies (checked on PyTorch's meta
        device before any memory is taken), finite, and the labels must match the
        outputs.  Anything else raises ``ValueError`` saying what is wrong.
        """
        config, classes, weights = _read_model_file(path)
        model = CoShNet.from_config(config["model"])
        model.load_state_dict({name: torch.from_numpy(array)
                               for name, array in weights.items()})
        p = config["preprocess"]
        preprocess = Preprocess(float(p["scale"]), float(p["mean"]), float(p["std"]),
                                tuple(p["input_shape"]), tuple(p["shape"]))
        return cls(model, preprocess, classes, config.get("history", ()), _device(device))


#: Bounds on what a model file may describe (far above the published models).
MAX_SIDE, MAX_CLASSES, MAX_PARAMETERS = 1024, 100_000, 500_000_000
_CONFIG_KEYS = {"format", "model", "preprocess", "history"}
_MODEL_KEYS = {"n_classes", "shape", "channels", "hidden", "kernel_size", "preset",
               "backend", "norm"}
_PREPROCESS_KEYS = {"scale", "mean", "std", "input_shape", "shape"}


def _int_list(value, name, low, high, length=None):
    if not isinstance(value, list) or (length is not None and len(value) != length) \
            or not all(isinstance(v, int) and not isinstance(v, bool) and low <= v <= high
                       for v in value):
        wanted = f"{length} " if length is not None else ""
        raise ValueError(f"{name} must be a list of {wanted}integers from {low} to {high}, "
                         f"got {value!r}")
    return value


def _check_config(config):
    """Validate a model file's configuration (plain JSON values) without building
    anything."""
    if not isinstance(config, dict):
        raise ValueError(f"its configuration is a {type(config).__name__}, not an object")
    if config.get("format") != _FORMAT:
        raise ValueError(f"its format is {config.get('format')!r}, expected {_FORMAT!r}")
    unknown = set(config) - _CONFIG_KEYS
    if unknown or not {"model", "preprocess"} <= set(config):
        raise ValueError(f"its configuration has the keys {sorted(config)}, expected "
                         f"{sorted(_CONFIG_KEYS)}")
    model, pre = config["model"], config["preprocess"]
    if not isinstance(model, dict) or set(model) != _MODEL_KEYS:
        raise ValueError(f"its model configuration must have exactly the keys "
                         f"{sorted(_MODEL_KEYS)}, got {model!r:.200}")
    n = model["n_classes"]
    if not isinstance(n, int) or isinstance(n, bool) or not 2 <= n <= MAX_CLASSES:
        raise ValueError(f"n_classes must be an integer from 2 to {MAX_CLASSES}, got {n!r}")
    _int_list(model["shape"], "shape", 8, MAX_SIDE, 2)
    _int_list(model["channels"], "channels", 1, 4096)
    _int_list(model["hidden"], "hidden", 1, 65536)
    if not 1 <= len(model["channels"]) <= 8 or len(model["hidden"]) > 8:
        raise ValueError("a model has 1 to 8 convolutions and at most 8 hidden layers")
    _int_list([model["kernel_size"]], "kernel_size", 1, 15, 1)
    if model["preset"] not in ("small", "default", "coshrem"):
        raise ValueError(f"preset must be 'small', 'default' or 'coshrem', got "
                         f"{model['preset']!r}")
    if model["backend"] not in (None, "real", "native") or not isinstance(model["norm"], bool):
        raise ValueError(f"backend must be null, 'real' or 'native' and norm a boolean, got "
                         f"{model['backend']!r} and {model['norm']!r}")
    if not isinstance(pre, dict) or set(pre) != _PREPROCESS_KEYS:
        raise ValueError(f"its preprocessing must have exactly the keys "
                         f"{sorted(_PREPROCESS_KEYS)}, got {pre!r:.200}")
    for name in ("scale", "mean", "std"):
        value = pre[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            raise ValueError(f"preprocessing {name} must be a finite number, got {value!r}")
    if not pre["scale"] > 0 or not pre["std"] > 0:
        raise ValueError(f"preprocessing scale and std must be positive, got "
                         f"{pre['scale']!r} and {pre['std']!r}")
    _int_list(pre["shape"], "preprocessing shape", 8, MAX_SIDE, 2)
    _int_list(pre["input_shape"], "preprocessing input_shape", 1, MAX_SIDE, 2)
    if pre["shape"] != model["shape"] or any(
            i > o for i, o in zip(pre["input_shape"], pre["shape"])):
        raise ValueError(f"preprocessing pads {pre['input_shape']} to {pre['shape']}, but "
                         f"the model takes {model['shape']}")
    history = config.get("history", [])
    if not isinstance(history, list) or not all(isinstance(h, dict) for h in history):
        raise ValueError("its history must be a list of objects")


def _read_model_file(path):
    """(config, classes, weights) of a model file, every part checked (see
    :meth:`Classifier.load`); ValueError saying that and why it is not a model."""
    import zipfile

    def refuse(why):
        return ValueError(f"{path} is not a shearfeat model file: {why}")

    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        # numpy answers a file it does not recognise with advice about allow_pickle,
        # which is not for a file from somewhere else; say what the file is not.
        raise refuse(f"not a readable .npz archive ({type(exc).__name__})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise refuse("a single .npy array, not an .npz archive")
    with archive as data:
        try:
            if "config" not in data.files:
                raise refuse("it has no configuration")
            config = json.loads(str(data["config"]))
            _check_config(config)
            if "classes" not in data.files:
                raise refuse("it has no labels")
            classes = data["classes"]
            with torch.device("meta"):        # shapes only, no memory, no filters kept
                expected = {name: (tuple(t.shape), t.is_complex(), t.is_floating_point())
                            for name, t in
                            CoShNet.from_config(config["model"]).state_dict().items()}
            if sum(math.prod(s[0]) for s in expected.values()) > MAX_PARAMETERS:
                raise refuse(f"its configuration implies more than {MAX_PARAMETERS:,} "
                             "weights")
            stored = {name[len("weight:"):] for name in data.files
                      if name.startswith("weight:")}
            if stored != set(expected):
                missing, extra = sorted(set(expected) - stored), sorted(stored - set(expected))
                raise refuse(f"its weights do not match its configuration (missing "
                             f"{missing[:3]}, unexpected {extra[:3]})")
            weights = {}
            for name, (shape, is_complex, is_float) in expected.items():
                array = data["weight:" + name]
                kind = "c" if is_complex else "f" if is_float else "i"
                if array.shape != shape or array.dtype.kind != kind:
                    wanted = {"c": "complex", "f": "float", "i": "integer"}[kind]
                    raise refuse(f"weight {name} is {array.dtype} {array.shape}, expected "
                                 f"{wanted} of shape {shape}")
                if not np.isfinite(array).all():
                    raise refuse(f"weight {name} holds NaN or infinite values")
                weights[name] = array
        except ValueError as exc:
            if str(exc).startswith(f"{path} is not"):
                raise
            if "pickle" in str(exc):
                raise refuse("it holds pickled objects, which shearfeat never loads") \
                    from None
            raise refuse(str(exc)) from None
        except (KeyError, OSError, EOFError, zipfile.BadZipFile, RuntimeError) as exc:
            raise refuse(f"damaged ({type(exc).__name__}: {exc})") from None
    n_classes = config["model"]["n_classes"]
    if classes.ndim != 1 or classes.shape[0] != n_classes or classes.dtype.kind not in "iubU":
        raise refuse(f"its labels are {classes.dtype} {classes.shape}, expected "
                     f"{n_classes} integer or string labels")
    if np.unique(classes).size != n_classes:
        raise refuse("its labels repeat")
    return config, classes, weights


def _split_validation(validation, X, y, generator):
    if validation is None:
        return X, y, None
    if isinstance(validation, numbers.Real) and not isinstance(validation, bool):
        if not 0 < validation < 1:
            raise ValueError(f"validation as a fraction must be in (0, 1), got {validation}")
        order = torch.randperm(X.shape[0], generator=generator).numpy()
        n_val = max(1, int(round(validation * X.shape[0])))
        held, kept = order[:n_val], order[n_val:]
        return X[kept], y[kept], (X[held], y[held])
    try:
        Xv, yv = validation
    except (TypeError, ValueError):
        raise TypeError("validation must be None, a fraction in (0, 1) or a pair "
                        "(X_val, y_val)") from None
    Xv = _as_images(Xv, "validation X")
    return X, y, (Xv, _labels(yv, Xv.shape[0], "validation y"))


def fit(X, y, *, model="tiny", epochs=20, batch_size=128, lr=1e-3, schedule="cosine",
        device="auto", seed=0, validation=None, progress=True,
        threads=None) -> Classifier:
    """Train a CoShNet classifier on raw grey images.

    Parameters
    ----------
    X : (n, rows, cols) array
        Images as loaded: integers (0-255, scaled by 1/255) or floats in [0, 1].  Images
        smaller than 32 x 32 are zero-padded (after normalisation) to 32 x 32.
    y : (n,) array
        Labels (integers or strings).
    model : {"tiny", "base"} or CoShNet
        Architecture: :meth:`CoShNet.tiny` (at most 50 k parameters),
        :meth:`CoShNet.base` (the published 1.37 M-parameter model), or an untrained
        model whose input shape matches the padded images.
    epochs, batch_size, lr : int, int, float
        Adam with learning rate ``lr``, cross-entropy, no augmentation or
        regularisation (the published recipe: 20, 128, 1e-3).
    schedule : {"cosine", "constant"}
        The learning rate over training: cosine annealing from ``lr`` to 0 over all
        steps, or ``lr`` throughout (the published recipe).
    device : {"auto", "cpu", "cuda"} or torch.device
        ``"auto"``: CUDA when PyTorch sees a GPU, else the CPU.
    seed : int
        Seeds initialisation and shuffling; on the CPU two runs give identical weights.
    validation : None, float or (X_val, y_val)
        Held-out data whose accuracy is reported after every epoch: a fraction of X, or
        separate arrays.
    progress : bool
        Show a progress bar per epoch (loss, validation accuracy) on stderr.
    threads : int, optional
        CPU threads for torch; default ``$SHEARFEAT_NUM_THREADS`` or all cores.

    Returns
    -------
    Classifier

    Examples
    --------
    >>> import numpy as np
    >>> from shearfeat.nn import fit
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 255, (64, 28, 28), dtype=np.uint8)
    >>> y = np.arange(64) % 2
    >>> clf = fit(X, y, epochs=1, progress=False)
    >>> clf.predict(X[:3]).shape
    (3,)
    """
    from .._input import resolve_threads
    X = _as_images(X, "X")
    y = _labels(y, X.shape[0])
    for name, value, low in (("epochs", epochs, 1), ("batch_size", batch_size, 1)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not lr > 0 \
            or not math.isfinite(lr):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    device = _device(device)
    torch.set_num_threads(resolve_threads(threads))
    generator = torch.Generator().manual_seed(int(seed))
    X, y, held = _split_validation(validation, X, y, generator)
    classes, targets = np.unique(y, return_inverse=True)
    if classes.size < 2:
        raise ValueError(f"y must hold at least two classes, got {classes.tolist()}")

    integer = np.issubdtype(X.dtype, np.integer)
    scale = 1 / 255 if integer else 1.0
    if not integer and (X.min() < -1e-6 or X.max() > 1 + 1e-6):
        raise ValueError("float images must lie in [0, 1] (integer images are divided by "
                         f"255), got values in [{X.min():g}, {X.max():g}]")
    scaled = X.astype(np.float64) * scale
    mean, std = float(scaled.mean()), float(scaled.std())
    std = std if std > 0 else 1.0
    shape = tuple(max(n, 32) for n in X.shape[1:])
    preprocess = Preprocess(scale, mean, std, tuple(X.shape[1:]), shape)

    torch.manual_seed(int(seed))
    if isinstance(model, str):
        if model not in MODELS:
            raise ValueError(f"model must be one of {MODELS} or a CoShNet, got {model!r}")
        net = getattr(CoShNet, model)(n_classes=classes.size, shape=shape)
    elif isinstance(model, CoShNet):
        net = model
        if tuple(net.config["shape"]) != shape or net.config["n_classes"] != classes.size:
            raise ValueError(f"model expects {tuple(net.config['shape'])} inputs and "
                             f"{net.config['n_classes']} classes; the data give {shape} and "
                             f"{classes.size}")
    else:
        raise TypeError(f"model must be 'tiny', 'base' or a CoShNet, got {type(model).__name__}")
    clf = Classifier(net, preprocess, classes, device=device)
    inputs = preprocess(X)
    labels = torch.from_numpy(targets.astype(np.int64))
    optimiser = torch.optim.Adam(net.parameters(), lr=lr)
    steps = epochs * math.ceil(inputs.shape[0] / batch_size)
    scheduler = (torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, steps)
                 if schedule == "cosine" else None)
    bar = _progress(progress)
    for epoch in range(epochs):
        net.train()
        start = time.perf_counter()
        order = torch.randperm(inputs.shape[0], generator=generator)
        total, seen = 0.0, 0
        bar.start(epoch, epochs, inputs.shape[0])
        for first in range(0, inputs.shape[0], batch_size):
            index = order[first:first + batch_size]
            xb, yb = inputs[index].to(device), labels[index].to(device)
            optimiser.zero_grad(set_to_none=True)
            loss = F.cross_entropy(net(xb), yb)
            loss.backward()
            optimiser.step()
            if scheduler is not None:
                scheduler.step()
            total += float(loss.detach()) * index.numel()
            seen += index.numel()
            bar.update(index.numel(), total / seen)
        record = {"epoch": epoch + 1, "loss": total / seen,
                  "seconds": time.perf_counter() - start}
        if held is not None:
            record["validation_accuracy"] = clf.score(*held)
        clf.history.append(record)
        bar.finish(record)
    net.eval()
    return clf


class _progress:
    """A per-epoch progress bar on stderr (tqdm when installed), or nothing."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.bar = None

    def start(self, epoch, epochs, total):
        if not self.enabled:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            tqdm = None
        label = f"epoch {epoch + 1}/{epochs}"
        self.bar = tqdm(total=total, desc=label, unit="img", leave=True,
                        file=sys.stderr) if tqdm else None
        self.label = label

    def update(self, n, loss):
        if self.bar is not None:
            self.bar.update(n)
            self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)

    def finish(self, record):
        if not self.enabled:
            return
        extra = {"loss": f"{record['loss']:.4f}"}
        if "validation_accuracy" in record:
            extra["val_acc"] = f"{record['validation_accuracy']:.4f}"
        if self.bar is not None:
            self.bar.set_postfix(extra)
            self.bar.close()
        else:
            print(f"{self.label}: " + ", ".join(f"{k} {v}" for k, v in extra.items()),
                  file=sys.stderr)

