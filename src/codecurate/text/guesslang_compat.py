"""guesslang 2.2.1 on a TensorFlow that no longer has `tensorflow.estimator`.

guesslang pins TensorFlow 2.5 (no Python 3.11 build) and its `model` module imports
`tensorflow.estimator` (removed in TF 2.16) and `tensorflow.python.training.tracking`
(moved to `tensorflow.python.trackable` in TF 2.13). Inference needs neither: it is
`tf.saved_model.load` of the model shipped inside the package plus one signature call. We
register two small stand-in modules before importing guesslang, so its own code (model
location, label table) is what runs, and call the saved model on whole batches.

TensorFlow costs ~3.3 s to import and ~750 MB of RSS (measured with tensorflow-cpu 2.21):
it is imported only when the guesslang fallback is asked for, once per Python worker.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import sys
import threading
import types
from collections.abc import Sequence
from importlib import metadata

from codecurate.text.resident import keep_resident

INSTALL_HINT = (
    "the guesslang fallback needs guesslang 2.2.1 and tensorflow-cpu 2.21.0: run `make setup`, "
    "or `pip install 'codecurate[guesslang]'` and then `pip install --no-deps guesslang==2.2.1`"
)

# guesslang's model sees the first 10,000 byte bigrams (HyperParameter.NB_TOKENS): more text
# only costs copying.
MAX_CHARS = 10_000
# Texts per model call: one at a time ran at ~230 files/s, 16-128 at ~430-480, 600 at ~380
# (every text is padded to 10,000 bigrams, so big batches only add memory).
BATCH = 128


class GuesslangUnavailableError(ImportError):
    """guesslang or TensorFlow cannot be imported here."""


def _install_stand_ins(tf: types.ModuleType) -> None:
    """Register the modules guesslang.model imports but inference never uses."""
    if "tensorflow.estimator" not in sys.modules:
        try:
            import tensorflow.estimator  # noqa: F401  (TF < 2.16 still has it)
        except ImportError:
            estimator = types.ModuleType("tensorflow.estimator")

            class ModeKeys:  # the values tf.estimator.ModeKeys had
                TRAIN = "train"
                EVAL = "eval"
                PREDICT = "infer"

            class Estimator:
                def __init__(self, *args, **kwargs):
                    raise GuesslangUnavailableError(
                        "training a guesslang model needs tf.estimator (TensorFlow < 2.16); "
                        "this stand-in only supports inference"
                    )

            estimator.ModeKeys = ModeKeys
            estimator.Estimator = Estimator
            # guesslang annotates a function with tf.estimator.export.ServingInputReceiver,
            # evaluated when its module is imported
            estimator.export = types.SimpleNamespace(ServingInputReceiver=object)
            sys.modules["tensorflow.estimator"] = estimator
            tf.estimator = estimator
    legacy = "tensorflow.python.training.tracking.tracking"
    if legacy not in sys.modules:
        try:
            import tensorflow.python.training.tracking.tracking  # noqa: F401
        except ImportError:
            from tensorflow.python.trackable.autotrackable import AutoTrackable

            package = types.ModuleType("tensorflow.python.training.tracking")
            module = types.ModuleType(legacy)
            module.AutoTrackable = AutoTrackable
            package.tracking = module
            sys.modules["tensorflow.python.training.tracking"] = package
            sys.modules[legacy] = module


def _import_tensorflow() -> types.ModuleType:
    # guesslang sets this too, but only once its package is imported, after TF logged.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow as tf
    except ImportError as err:
        raise GuesslangUnavailableError(f"cannot import tensorflow ({err}); {INSTALL_HINT}") from err
    return tf


def check_importable() -> None:
    """Raise GuesslangUnavailableError unless guesslang and TensorFlow are installed.

    Cheap: looks at installed distributions, imports nothing heavy.
    """
    for dist in ("guesslang", "tensorflow-cpu"):
        try:
            metadata.version(dist)
        except metadata.PackageNotFoundError as err:
            if dist == "tensorflow-cpu" and _installed("tensorflow"):
                continue
            raise GuesslangUnavailableError(f"{dist} is not installed; {INSTALL_HINT}") from err


def _installed(dist: str) -> bool:
    try:
        metadata.version(dist)
    except metadata.PackageNotFoundError:
        return False
    return True


def versions() -> dict[str, str | None]:
    out = {}
    for dist in ("guesslang", "tensorflow-cpu", "tensorflow"):
        out[dist] = metadata.version(dist) if _installed(dist) else None
    return out


class GuesslangClassifier:
    """The saved guesslang model and its label table; one instance per Python worker."""

    def __init__(self) -> None:
        tf = _import_tensorflow()
        # One Spark task is one core: TensorFlow's default thread pools (one thread per
        # machine core each) would oversubscribe the executor. Must run before any TF op.
        try:
            tf.config.threading.set_intra_op_parallelism_threads(1)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:
            pass  # TF already initialised in this process (e.g. by the caller): keep its pools
        _install_stand_ins(tf)
        try:
            from guesslang import guess as guesslang_guess
            from guesslang import model as guesslang_model
        except ImportError as err:
            raise GuesslangUnavailableError(f"cannot import guesslang ({err}); {INSTALL_HINT}") from err
        self._tf = tf
        self._model = guesslang_model.load(str(guesslang_guess.DEFAULT_MODEL_DIR))
        self._predict = self._model.signatures["serving_default"]
        names_by_label = json.loads(guesslang_guess.LANGUAGES_FILE.read_text())
        # the model's classes are file extensions ("py"); the JSON maps name -> extension
        self._name_of_class = {ext: name for name, ext in names_by_label.items()}

    def classify(self, texts: Sequence[str]) -> list[str | None]:
        """guesslang's language name for each text, or None where it has no reliable answer."""
        results: list[str | None] = [None] * len(texts)
        todo = [i for i, text in enumerate(texts) if text and text.strip()]
        if not todo:
            return results
        for start in range(0, len(todo), BATCH):
            chunk = todo[start:start + BATCH]
            predicted = self._predict(self._tf.constant([texts[i][:MAX_CHARS] for i in chunk]))
            scores = predicted["scores"].numpy()
            classes = predicted["classes"].numpy()
            for row, i in enumerate(chunk):
                probabilities = [float(p) for p in scores[row]]
                if not _is_reliable(probabilities):
                    continue
                best = max(range(len(probabilities)), key=probabilities.__getitem__)
                results[i] = self._name_of_class[classes[row][best].decode()]
        return results


def _is_reliable(probabilities: list[float]) -> bool:
    # guesslang's own rule (Guess._is_reliable): the top probability must exceed the mean by
    # more than two standard deviations, else guesslang answers "no language".
    threshold = statistics.mean(probabilities) + 2 * statistics.stdev(probabilities)
    return max(probabilities) > threshold


_classifier: GuesslangClassifier | None = None
_lock = threading.Lock()


@contextlib.contextmanager
def _native_stderr_silenced():
    """File descriptor 2 to /dev/null for a while. TensorFlow's C++ side writes start-up lines
    ("oneDNN custom operations are on", absl's "All log messages before absl::InitializeLog()")
    straight to the process's stderr whatever TF_CPP_MIN_LOG_LEVEL says, and a Python worker's
    stderr is the user's console in local mode. Python exceptions still propagate."""
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def classifier() -> GuesslangClassifier:
    """The per-process classifier, loaded on first use (~4 s), then reused by every batch."""
    global _classifier
    with _lock:
        if _classifier is None:
            with _native_stderr_silenced():
                _classifier = GuesslangClassifier()
                _classifier.classify(["x = 1"])  # the first call logs too (graph set-up)
            keep_resident()
        return _classifier
