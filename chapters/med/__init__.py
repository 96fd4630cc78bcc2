"""Chapter 5: MED, the "main embedding diff" progress measure, and how the training-set layout
caps reachable test accuracy (Gu et al. 2025, "Beyond Progress Measures").

`med` (the metric and its probe), `coverage` (Theorem 3.12's coverage bound), `image_sum` (§6.3's
ResNet on sums of images, through the one training loop), `configs`, `measures`, `figures`.
"""
