"""``RandomCrop``: crop a random window during training, the centre at inference."""
from cornu import ops, random
from cornu.layers.preprocessing.image.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
)
from cornu.layers.preprocessing.image.center_crop import crop_boxes, crop_or_resize


class RandomCrop(BaseImagePreprocessingLayer):
    """Crops a random ``(height, width)`` window (the same offset for the whole batch).

    At inference, and for images smaller than the target, the layer crops the largest
    centred window of the target aspect ratio and resizes it to the target size (the
    documented Keras behaviour), so the output always has the target size.

    Args:
        height, width: the output size.
        seed: an int seed for the layer's ``SeedGenerator``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(data_format=data_format, name=name, **kwargs)
        self.height = int(height)
        self.width = int(width)
        self.seed = seed
        self.generator = random.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        images = self._images_of(data)
        in_h, in_w = self._image_size(images)
        if not training:
            return None
        if isinstance(in_h, int) and isinstance(in_w, int) and (
                in_h < self.height or in_w < self.width):
            return None
        seed = self._seed(seed)
        top = random.randint((), 0, in_h - self.height + 1, seed=seed)
        left = random.randint((), 0, in_w - self.width + 1, seed=seed)
        return {"top": top, "left": left, "input_size": (in_h, in_w)}

    def _crop(self, images, transformation, interpolation):
        if transformation is None:  # the largest window of the target aspect ratio
            return ops.image.resize(images, (self.height, self.width),
                                    interpolation=interpolation, crop_to_aspect_ratio=True,
                                    data_format=self.data_format)
        return crop_or_resize(self, images, self.height, self.width,
                              top=transformation["top"], left=transformation["left"])

    def transform_images(self, images, transformation, training=True):
        return self._crop(ops.cast(images, self.compute_dtype), transformation, "bilinear")

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return self._crop(segmentation_masks, transformation, "nearest")

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if transformation is None:
            raise ValueError(
                "RandomCrop: bounding boxes are supported when the layer crops (training "
                "with images at least as large as the target), not when it resizes"
            )
        in_h, in_w = transformation["input_size"]
        return crop_boxes(self, bounding_boxes, in_h, in_w, transformation["top"],
                          transformation["left"], self.height, self.width)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        shape[self._height_axis] = self.height
        shape[self._width_axis] = self.width
        return tuple(shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"height": self.height, "width": self.width, "seed": self.seed})
        return cfg
