"""``cornu.preprocessing.image`` (``keras.preprocessing.image``): image files and arrays
(``cornu.utils.image_utils``)."""
from cornu.utils.image_utils import array_to_img, img_to_array, load_img, save_img, smart_resize

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]
