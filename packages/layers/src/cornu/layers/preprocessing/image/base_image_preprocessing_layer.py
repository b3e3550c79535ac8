"""``BaseImagePreprocessingLayer``: the shared machinery of the image preprocessing and
augmentation layers (Keras 3's base class of the same name).

A layer draws one *transformation* per batch (``get_random_transformation``: a dict of
tensors, one entry per image) and applies it to every part of its input with
``transform_images``, ``transform_labels``, ``transform_bounding_boxes`` and
``transform_segmentation_masks``.  Inputs are an image tensor (rank 3 = one image, rank
4 = a batch; numpy arrays of any dtype are accepted) or a dict with ``"images"`` and
optionally ``"labels"``, ``"bounding_boxes"`` (``{"boxes": (batch, n, 4), "labels":
(batch, n)}`` in ``bounding_box_format``) and ``"segmentation_masks"``.

Training flag: called on its own (``layer(images)``, a ``tf.data`` map) a layer
augments, as in Keras 3 where ``training`` defaults to True; inside a model the model's
flag rules (``fit`` trains, ``predict``/``evaluate``/``model(x)`` do not).  At inference
random layers are the identity (deterministic ones such as ``Resizing`` always apply).

Randomness comes from the layer's ``cornu.random.SeedGenerator`` (``seed``), so a layer
built with the same seed gives the same sequence of transformations.
"""
import math

from cornu import config, ops, random
from cornu import layer as _layer_module
from cornu.layer import Layer
from cornu.layers.preprocessing import _common
from cornu.layers.preprocessing.image import bounding_boxes as bbox


def _is_tensorish(x):
    return hasattr(x, "shape") and hasattr(x, "dtype")


class BaseImagePreprocessingLayer(Layer):
    """Base class of the image preprocessing layers.

    Args:
        factor: the layer's ``factor`` (see ``_set_factor``), for the layers that use
            the shared one.
        bounding_box_format: the format of ``data["bounding_boxes"]["boxes"]``
            (``"xyxy"``, ``"yxyx"``, ``"xywh"``, ``"center_xywh"``, ``"center_yxhw"``,
            ``"rel_xyxy"``, ``"rel_yxyx"``, ``"rel_xywh"``, ``"rel_center_xywh"``);
            required when the inputs carry bounding boxes.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the config's
            image data format).
    """

    _USE_BASE_FACTOR = True
    _FACTOR_BOUNDS = (-1, 1)
    #: False for the layers that apply at inference too (Resizing, CenterCrop, ...).
    _RANDOM = True

    def __init__(self, factor=None, bounding_box_format=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.bounding_box_format = bounding_box_format
        if bounding_box_format is not None:
            bbox.check_format(bounding_box_format, type(self).__name__)
        self.data_format = config.standardize_data_format(data_format)
        if self._USE_BASE_FACTOR:
            self._set_factor(factor or 0.0)
        elif factor is not None:
            raise ValueError(
                f"{type(self).__name__} does not take a `factor` argument, "
                f"received factor={factor!r}"
            )
        self.supports_masking = False

    # -- argument helpers ---------------------------------------------------------------
    def _set_factor(self, factor):
        self.factor = self._factor_range(factor, "factor", self._FACTOR_BOUNDS)

    def _factor_range(self, factor, name, bounds, symmetric=True):
        """``factor`` (a number or a pair) as a sorted ``(lower, upper)`` within ``bounds``.

        A single number ``f`` means ``(max(-|f|, bounds[0]), |f|)`` when ``symmetric``,
        else ``(bounds[0], f)``.
        """
        msg = (
            f"{type(self).__name__}: the `{name}` argument must be a number (or a list of "
            f"two numbers) in the range [{bounds[0]}, {bounds[1]}], received "
            f"{name}={factor!r}"
        )
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or not all(isinstance(f, (int, float)) for f in factor):
                raise ValueError(msg)
            if factor[0] > bounds[1] or factor[1] < bounds[0]:
                raise ValueError(msg)
            lower, upper = sorted(factor)
            return float(lower), float(upper)
        if isinstance(factor, bool) or not isinstance(factor, (int, float)):
            raise ValueError(msg)
        if factor < bounds[0] or factor > bounds[1]:
            raise ValueError(msg)
        if not symmetric:
            return float(bounds[0]), float(factor)
        factor = abs(factor)
        return float(max(-factor, bounds[0])), float(factor)

    def _set_value_range(self, value_range):
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(
                f"{type(self).__name__}: the `value_range` argument must be a list or "
                f"tuple of two numbers, received value_range={value_range!r}"
            )
        self.value_range = tuple(sorted(value_range))

    def _check_choice(self, value, name, choices):
        if value not in choices:
            raise ValueError(
                f"{type(self).__name__}: the `{name}` argument must be one of "
                f"{', '.join(repr(c) for c in choices)}, received {name}={value!r}"
            )
        return value

    # -- shapes -------------------------------------------------------------------------
    @property
    def _height_axis(self):
        return -3 if self.data_format == "channels_last" else -2

    @property
    def _width_axis(self):
        return -2 if self.data_format == "channels_last" else -1

    @property
    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else -3

    def _image_size(self, images):
        shape = ops.shape(images)
        return shape[self._height_axis], shape[self._width_axis]

    @staticmethod
    def _batch_size(images):
        return ops.shape(images)[0]

    # -- the call -----------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        # Keras 3 resolves an absent `training` from the call signature (True for these
        # layers) when no outer layer set it: called on its own, a layer augments.
        if kwargs.get("training") is None and _layer_module._context.training is \
                _layer_module._UNSET and self._RANDOM:
            kwargs["training"] = True
        if len(args) == 1 and _in_foreign_tf_graph(args[0]):
            return self._call_from_tf_graph(args[0], kwargs)
        return super().__call__(*args, **kwargs)

    def _call_from_tf_graph(self, images, kwargs):
        """A call on a symbolic ``tf.Tensor`` (a ``tf.data`` map) that the bound backend's
        ops cannot take: the layer runs on the host through ``tf.numpy_function``
        (``_common.host_call``), with this backend's ops, and the static output shape
        comes from ``compute_output_spec``."""
        from cornu.symbolic import KerasTensor

        spec = Layer.__call__(self, KerasTensor(tuple(images.shape), dtype=images.dtype.name),
                              **{k: v for k, v in kwargs.items() if k != "training"})

        def host(value):
            return ops.convert_to_numpy(Layer.__call__(self, value, **kwargs))

        return _common.host_call(host, images, spec.dtype, out_shape=spec.shape,
                                 stateful=bool(self._RANDOM))

    def call(self, data, training=True):
        if isinstance(data, dict):
            return self._call_dict(dict(data), training)
        images = ops.convert_to_tensor(data)
        batched = self._check_batched(images)
        if not batched:
            images = ops.expand_dims(images, 0)
        transformation = self.get_random_transformation(images, training=training)
        out = self.transform_images(images, transformation, training=training)
        return out if batched else ops.squeeze(out, 0)

    def _check_batched(self, images):
        rank = len(images.shape)
        if rank not in (3, 4):
            raise ValueError(
                f"{type(self).__name__}: images must have rank 3 (one image) or 4 (a "
                f"batch), received shape {tuple(images.shape)}"
            )
        return rank == 4

    def _call_dict(self, data, training):
        if "images" not in data:
            raise ValueError(
                f"{type(self).__name__}: a dict input must have an 'images' key, received "
                f"keys {sorted(data)}"
            )
        images = ops.convert_to_tensor(data["images"])
        batched = self._check_batched(images)

        def batch(x):
            return x if batched else ops.expand_dims(x, 0)

        def unbatch(x):
            return x if batched else ops.squeeze(x, 0)

        data["images"] = batch(images)
        if "bounding_boxes" in data:
            if not self.bounding_box_format:
                raise ValueError(
                    f"{type(self).__name__}: the input has a 'bounding_boxes' key but the "
                    "layer has no `bounding_box_format`; pass e.g. "
                    "bounding_box_format='xyxy'"
                )
            boxes = bbox.densify(data["bounding_boxes"], type(self).__name__)
            data["bounding_boxes"] = {k: batch(v) for k, v in boxes.items()}
        for key in ("labels", "segmentation_masks"):
            if key in data:
                data[key] = batch(ops.convert_to_tensor(data[key]))
        transformation = self.get_random_transformation(data, training=training)
        out = dict(data)
        out["images"] = unbatch(
            self.transform_images(data["images"], transformation, training=training))
        if "labels" in data:
            out["labels"] = unbatch(
                self.transform_labels(data["labels"], transformation, training=training))
        if "bounding_boxes" in data:
            boxes = self.transform_bounding_boxes(
                data["bounding_boxes"], transformation, training=training)
            out["bounding_boxes"] = {k: unbatch(v) for k, v in boxes.items()}
        if "segmentation_masks" in data:
            out["segmentation_masks"] = unbatch(self.transform_segmentation_masks(
                data["segmentation_masks"], transformation, training=training))
        return out

    # -- the per-part transforms (subclasses override) ---------------------------------------
    def get_random_transformation(self, data, training=True, seed=None):
        """The transformation for one batch (``data``: images or the input dict)."""
        return None

    def transform_images(self, images, transformation, training=True):
        images = ops.cast(images, self.compute_dtype)
        if training and transformation is not None:
            images = self._transform_images(images, transformation,
                                            getattr(self, "interpolation", "bilinear"))
        return images

    def _transform_images(self, images, transformation, interpolation):
        return images

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """Default: boxes pass unchanged (colour layers)."""
        return bounding_boxes

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        """Default: masks follow the geometry with nearest interpolation; colour-only
        layers override this to return the masks unchanged."""
        if training and transformation is not None:
            return self._transform_images(segmentation_masks, transformation, "nearest")
        return segmentation_masks

    @staticmethod
    def _images_of(data):
        return data["images"] if isinstance(data, dict) else data

    def _seed(self, seed):
        return self.generator if seed is None else seed

    # -- helpers shared by the subclasses ----------------------------------------------------
    @staticmethod
    def _transform_value_range(images, original_range, target_range):
        """Map ``images`` linearly from ``original_range`` to ``target_range``."""
        if tuple(original_range) == tuple(target_range):
            return images
        (a, b), (c, d) = original_range, target_range
        return (images - a) * ((d - c) / (b - a)) + c

    def _per_image(self, values):
        """(batch,) values reshaped to broadcast against the images."""
        return ops.reshape(values, (-1, 1, 1, 1))

    def _spatial_axes(self):
        return (1, 2) if self.data_format == "channels_last" else (2, 3)

    def _affine_matrix(self, height, width, angle=None, translate_x=None, translate_y=None,
                       zoom_x=None, zoom_y=None, shear_x=None, shear_y=None):
        """(batch, 8) output->input transforms about the image centre (angles in radians,
        translations in pixels, zooms as input/output scale, shears as tangents)."""
        ref = next(v for v in (angle, translate_x, zoom_x, shear_x) if v is not None)
        dtype = ops.dtype(ref)
        zeros = ops.zeros_like(ref)
        ones = ops.ones_like(ref)
        angle = zeros if angle is None else angle
        tx = zeros if translate_x is None else translate_x
        ty = zeros if translate_y is None else translate_y
        zx = ones if zoom_x is None else zoom_x
        zy = ones if zoom_y is None else zoom_y
        shx = zeros if shear_x is None else shear_x
        shy = zeros if shear_y is None else shear_y
        cx = (ops.cast(width, dtype) - 1.0) / 2.0
        cy = (ops.cast(height, dtype) - 1.0) / 2.0
        cos, sin = ops.cos(angle), ops.sin(angle)
        # input = Zoom . Shear . Rotation . (output - centre) + centre - translation
        a0 = zx * (cos + shx * sin)
        a1 = zx * (-sin + shx * cos)
        b0 = zy * (shy * cos + sin)
        b1 = zy * (-shy * sin + cos)
        a2 = cx - a0 * cx - a1 * cy - (a0 * tx + a1 * ty)
        b2 = cy - b0 * cx - b1 * cy - (b0 * tx + b1 * ty)
        return ops.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)

    def _boxes_through_affine(self, bounding_boxes, transforms, height, width):
        """Move boxes with the image under output->input ``transforms`` (batch, 8)."""
        boxes = bbox.convert_format(bounding_boxes["boxes"], self.bounding_box_format,
                                    "xyxy", height, width)
        boxes = bbox.affine_boxes(boxes, transforms)
        boxes = bbox.clip_to_image(boxes, height, width)
        out = dict(bounding_boxes)
        out["boxes"] = bbox.convert_format(boxes, "xyxy", self.bounding_box_format,
                                           height, width)
        return out

    # -- config -------------------------------------------------------------------------------
    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, inputs, training=None, **kwargs):
        from cornu.symbolic import KerasTensor

        if isinstance(inputs, dict):
            return _layer_module.Layer.compute_output_spec(self, inputs, **kwargs)
        shape = self.compute_output_shape(tuple(inputs.shape))
        return KerasTensor(shape, dtype=self.compute_dtype)

    def get_config(self):
        cfg = super().get_config()
        cfg["data_format"] = self.data_format
        if self.bounding_box_format is not None:
            cfg["bounding_box_format"] = self.bounding_box_format
        return cfg


def degrees_to_radians(x):
    return x * (math.pi / 180.0)


def seed_generator(seed):
    return random.SeedGenerator(seed)


def _in_foreign_tf_graph(x):
    """Whether ``x`` is a symbolic ``tf.Tensor`` (a ``tf.data`` map) that the bound
    backend's ops cannot take (its ``is_tensor`` says so)."""
    return _common.is_tf_graph_tensor(x) and not ops.is_tensor(x)
