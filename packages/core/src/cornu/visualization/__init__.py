"""``cornu.visualization``: drawing boxes and masks on images, image galleries
(``keras.visualization``).

``draw_bounding_boxes`` (and the box gallery) draws with OpenCV, the galleries plot with
matplotlib; both are imported on first use only (``pip install opencv-python-headless``,
``pip install matplotlib``).
"""
from cornu.visualization._boxes import draw_bounding_boxes, plot_bounding_box_gallery
from cornu.visualization._gallery import plot_image_gallery
from cornu.visualization._masks import draw_segmentation_masks, plot_segmentation_mask_gallery

__all__ = [
    "draw_bounding_boxes", "draw_segmentation_masks", "plot_bounding_box_gallery",
    "plot_image_gallery", "plot_segmentation_mask_gallery",
]
