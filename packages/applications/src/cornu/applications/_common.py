"""What every application builder shares: argument checks, the input, the top, the weights.

Pretrained weights are Keras's published HDF5 files.  They are fetched with
``cornu.utils.get_file`` into ``$CORNU_HOME/models`` (``~/.cornu/models``),
checked against Keras's published hash where Keras publishes one, and looked up
first in the cache, then in the mirror named by ``CORNU_DATASETS_MIRROR`` (a
folder or a base URL holding the files under their own names, directly or in a
``models/`` subfolder), then at the canonical origin.  Offline without a mirror
the error names the URL, the cache path and the mirror setting.
"""
import os

from cornu import config

#: Where the weights are cached, below ``$CORNU_HOME``.
CACHE_SUBDIR = "models"
#: The subfolder of a mirror root that may hold the weights files.
MIRROR_SUBDIR = "models"


def check_weights_arg(weights, include_top, classes):
    """Keras's checks on ``weights`` and ``classes``."""
    if not (weights in {"imagenet", None} or _is_file(weights)):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            "'imagenet' (pre-training on ImageNet), or the path to the weights file to be "
            f"loaded. Received: weights={weights}"
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(
            "If using `weights='imagenet'` with `include_top=True`, `classes` should be "
            f"1000. Received: classes={classes}"
        )


def _is_file(path):
    try:
        return os.path.isfile(os.fspath(path))
    except TypeError:
        return False


def image_input(input_tensor, input_shape):
    """The symbolic image input: a new ``Input`` or the given ``input_tensor``."""
    from cornu.layers import Input
    from cornu.symbolic import KerasTensor

    if input_tensor is None:
        return Input(shape=input_shape)
    if not isinstance(input_tensor, KerasTensor):
        raise ValueError(
            "input_tensor must be a symbolic tensor (the output of cornu.Input() or of a "
            f"layer call). Received: input_tensor={input_tensor!r} of type "
            f"{type(input_tensor).__name__}"
        )
    return input_tensor


def source_inputs(tensor):
    """The ``Input`` tensors that ``tensor`` was computed from, in call order."""
    from cornu.models.input_layer import InputLayer

    found, seen, stack = [], set(), [tensor]
    while stack:
        t = stack.pop()
        history = getattr(t, "_keras_history", None)
        if history is None:
            continue
        layer, node_index, _ = history
        if isinstance(layer, InputLayer):
            if id(t) not in seen:
                seen.add(id(t))
                found.append(t)
            continue
        stack.extend(reversed(layer._inbound_nodes[node_index].input_tensors))
    return found[0] if len(found) == 1 else found


def model_inputs(input_tensor, img_input):
    return source_inputs(input_tensor) if input_tensor is not None else img_input


def channel_axis():
    return 1 if config.image_data_format() == "channels_first" else -1


def bn_axis():
    return 1 if config.image_data_format() == "channels_first" else 3


def functional(inputs, outputs, name):
    from cornu.models.functional import Functional

    return Functional(inputs, outputs, name=name)


def pooling_top(x, pooling, avg_name=None, max_name=None):
    """``pooling="avg"`` / ``"max"`` for a headless model (``include_top=False``)."""
    from cornu import layers

    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


# --------------------------------------------------------------------------- #
# Weights
# --------------------------------------------------------------------------- #
def fetch_weights(fname, origin, file_hash=None):
    """A verified local copy of a published weights file: cache, then mirror, then origin."""
    from cornu.utils.file_utils import MIRROR_ENV, DownloadError
    from cornu.utils.mirror import fetch

    try:
        return fetch(fname, origin=origin, file_hash=file_hash, cache_subdir=CACHE_SUBDIR,
                     mirror_subdir=MIRROR_SUBDIR)
    except DownloadError as err:
        hint = "" if os.environ.get(MIRROR_ENV, "").strip() else (
            f"\nNo mirror is set: point {MIRROR_ENV} at a folder or URL that holds "
            f"{os.path.basename(origin)} to load the weights offline.")
        raise DownloadError(f"Cannot fetch the pretrained weights {fname}: {err}{hint}") from err


def load_weights(model, weights, fname=None, origin=None, file_hash=None):
    """Load ``weights`` into ``model``: "imagenet" (the published file), a path, or None."""
    if weights is None:
        return model
    if weights == "imagenet":
        path = fetch_weights(fname, origin, file_hash)
    else:
        path = os.fspath(weights)
    if path.endswith((".weights.h5", ".keras")):
        model.load_weights(path)
    else:
        load_legacy_h5(model, path)
    return model


def load_legacy_h5(model, path):
    """Load a Keras 2 layout ``.h5`` file into an application model.

    The layers that own weights are paired in order with the file's weighted
    groups, as ``keras.Model.load_weights("x.h5")`` does: Keras's published files
    name the layers Keras created without an explicit name (Xception's residual
    ``conv2d_1``, EfficientNet's ``normalization``...) after the counters of the
    session that wrote them, so those names cannot be matched.  Every weight's
    shape is checked.
    """
    from cornu.saving import legacy_h5

    legacy_h5.load_weights(model, path)


# --------------------------------------------------------------------------- #
# The builders' frame
# --------------------------------------------------------------------------- #
def weights_file(origin, file_hash=None):
    """``(fname, origin, file_hash)`` of a published weights file."""
    return origin.rsplit("/", 1)[1], origin, file_hash


def start(weights, include_top, classes, input_tensor, input_shape, default_size, min_size,
          require_flatten=None):
    """Check the arguments and make the image input; returns ``(img_input, input_shape)``."""
    from cornu.applications import imagenet_utils

    check_weights_arg(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=min_size,
        data_format=config.image_data_format(),
        require_flatten=include_top if require_flatten is None else require_flatten,
        weights=weights,
    )
    return image_input(input_tensor, input_shape), input_shape


def classifier(x, classes, classifier_activation, weights, name="predictions"):
    """The ImageNet classifier: ``Dense(classes, activation, name="predictions")``."""
    from cornu import layers
    from cornu.applications import imagenet_utils

    imagenet_utils.validate_activation(classifier_activation, weights)
    return layers.Dense(classes, activation=classifier_activation, name=name)(x)


def finish(input_tensor, img_input, x, name, weights, file=None):
    """Make the Functional model and load its weights (``file`` for "imagenet")."""
    model = functional(model_inputs(input_tensor, img_input), x, name)
    if weights == "imagenet":
        return load_weights(model, weights, *file)
    return load_weights(model, weights)


_BUILDER_DOC = """Instantiates {what}.

    Reference: {reference}

    The default input size for this model is {default_size}x{default_size}.  Each
    application expects its own input preprocessing: call
    ``cornu.applications.{family}.preprocess_input`` on the inputs first{prep_note}.

    Args:
        include_top: whether to include {top} at the top of the network.
        weights: ``None`` (random initialization), ``"imagenet"`` (pre-training on
            ImageNet, Keras's published weights file) or the path to a weights file
            (``.weights.h5``, ``.keras`` or a Keras 2 ``.h5``).
        input_tensor: optional symbolic tensor (output of ``cornu.Input()``) to use
            as the image input of the model.
        input_shape: optional shape tuple, only to be given when ``include_top`` is
            False (otherwise it is {default_size}x{default_size} with 3 channels);
            height and width no smaller than {min_size}.
        pooling: when ``include_top`` is False: ``None`` (the model outputs the 4D
            feature map of the last block), ``"avg"`` (global average pooling, a
            2D output) or ``"max"`` (global max pooling).
        classes: the number of classes, only with ``include_top=True`` and no
            ``weights``.  Defaults to 1000.
        classifier_activation: the activation of the top layer (a name or a
            callable); ``None`` returns the logits.  With pretrained weights only
            ``None`` and ``"softmax"`` are allowed.{extra}
        name: the name of the model.

    Returns:
        A ``cornu.Model`` with the layer names, weight shapes and parameter count of
        the Keras 3 model of the same name.
    """


def builder_doc(what, reference, default_size, min_size, family, top="the classifier",
                prep_note="", extra=""):
    return _BUILDER_DOC.format(what=what, reference=reference, default_size=default_size,
                               min_size=min_size, family=family, top=top,
                               prep_note=prep_note, extra=extra)


def family_functions(mode, module):
    """The ``preprocess_input(x, data_format=None)`` of a family using ``mode``, and
    ``decode_predictions(preds, top=5)``, as functions of the family's ``module``."""
    from cornu.applications import imagenet_utils

    def preprocess_input(x, data_format=None):
        return imagenet_utils.preprocess_input(x, data_format=data_format, mode=mode)

    def decode_predictions(preds, top=5):
        return imagenet_utils.decode_predictions(preds, top=top)

    ret = {"caffe": imagenet_utils.PREPROCESS_INPUT_RET_DOC_CAFFE,
           "tf": imagenet_utils.PREPROCESS_INPUT_RET_DOC_TF,
           "torch": imagenet_utils.PREPROCESS_INPUT_RET_DOC_TORCH}[mode]
    preprocess_input.__doc__ = imagenet_utils.PREPROCESS_INPUT_DOC.format(
        mode="", ret=ret, error=imagenet_utils.PREPROCESS_INPUT_ERROR_DOC
    )
    decode_predictions.__doc__ = imagenet_utils.decode_predictions.__doc__
    for fn in (preprocess_input, decode_predictions):
        fn.__module__ = module
        fn.__qualname__ = fn.__name__
    return preprocess_input, decode_predictions
