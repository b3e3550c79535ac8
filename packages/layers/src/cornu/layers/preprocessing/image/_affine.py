"""The shared base of the affine augmentation layers (rotation, translation, zoom,
shear): subclasses draw the per-image parameters, this class builds the transform and
applies it to images, masks and bounding boxes."""
from cornu import ops, random
from cornu.layers.preprocessing.image.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
)

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


class BaseAffineLayer(BaseImagePreprocessingLayer):
    _USE_BASE_FACTOR = False

    def _init_affine(self, fill_mode, interpolation, seed, fill_value):
        self.fill_mode = self._check_choice(fill_mode, "fill_mode", FILL_MODES)
        self.interpolation = self._check_choice(interpolation, "interpolation",
                                                INTERPOLATIONS)
        self.fill_value = fill_value
        self.seed = seed
        self.generator = random.SeedGenerator(seed)

    def _affine_params(self, batch_size, height, width, seed):
        """keyword arguments of ``_affine_matrix`` for one batch."""
        raise NotImplementedError  # abstract: every affine layer draws its parameters

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = self._images_of(data)
        height, width = self._image_size(images)
        params = self._affine_params(self._batch_size(images), height, width,
                                     self._seed(seed))
        return {"transform": self._affine_matrix(height, width, **params),
                "input_size": (height, width), **params}

    def _transform_images(self, images, transformation, interpolation):
        out = ops.image.affine_transform(
            images, transformation["transform"], interpolation=interpolation,
            fill_mode=self.fill_mode, fill_value=self.fill_value,
            data_format=self.data_format,
        )
        return out

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        height, width = transformation["input_size"]
        return self._boxes_through_affine(bounding_boxes, transformation["transform"],
                                          height, width)

    def _uniform(self, batch_size, lower, upper, seed):
        return random.uniform((batch_size,), minval=lower, maxval=upper, seed=seed,
                              dtype="float32")

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"fill_mode": self.fill_mode, "interpolation": self.interpolation,
                    "seed": self.seed, "fill_value": self.fill_value})
        return cfg
