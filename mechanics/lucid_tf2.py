"""Lucid 0.3.10 on TensorFlow 2, in tf.compat.v1 graph mode.

The only module in the project that patches anything. It fills the gaps listed
in TECHNIQUE.md section 2, then imports every Lucid module the engine uses, so
each one binds `tf` to `tensorflow.compat.v1`:
- Lucid does `import tensorflow as tf`: during its import, `sys.modules["tensorflow"]`
  is tf.compat.v1 with v2 behaviour disabled.
- `transform.random_rotate` calls `tf.contrib.image.rotate`: rebuilt on
  `ImageProjectiveTransformV3`.
- `param/cppn.py` imports `tensorflow.contrib.slim`: served by the `tf_slim` package.
- `lucid.misc.io.showing` imports IPython at module level: a stand-in whose
  display functions raise, since the engine never displays inline; `get_ipython()` returns
  None (not inside IPython), which Ray asks on import.
Engine modules import Lucid and TensorFlow from here, never directly.
"""

import os
import sys
import types

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as _tf2  # noqa: E402

tf = _tf2.compat.v1
tf.disable_v2_behavior()
tf.logging.set_verbosity(tf.logging.ERROR)


def rotate(images, angles, interpolation="NEAREST"):
    """tf.contrib.image.rotate: rotate NHWC images counter-clockwise by `angles` radians, by
    default with nearest-neighbour sampling, as tf.contrib did."""
    images = tf.convert_to_tensor(images)
    squeeze = images.shape.ndims == 3
    if squeeze:
        images = images[None]
    shape = tf.shape(images)
    height = tf.cast(shape[1], tf.float32)
    width = tf.cast(shape[2], tf.float32)
    angles = tf.reshape(tf.cast(angles, tf.float32), [-1])
    angles = angles + tf.zeros([shape[0]], tf.float32)
    cos, sin = tf.cos(angles), tf.sin(angles)
    # Same projective map as tf.contrib.image.angles_to_projective_transforms:
    # output pixel (x, y) samples input (a0 x + a1 y + a2, b0 x + b1 y + b2).
    x_offset = ((width - 1) - (cos * (width - 1) - sin * (height - 1))) / 2.0
    y_offset = ((height - 1) - (sin * (width - 1) + cos * (height - 1))) / 2.0
    zeros = tf.zeros_like(angles)
    transforms = tf.stack([cos, -sin, x_offset, sin, cos, y_offset, zeros, zeros], axis=1)
    rotated = tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=transforms, output_shape=shape[1:3],
        fill_value=0.0, interpolation=interpolation, fill_mode="CONSTANT")
    return rotated[0] if squeeze else rotated


def _display_unavailable(*args, **kwargs):
    raise RuntimeError("inline display is not available outside IPython")


def _install_stand_ins():
    import tf_slim

    contrib = types.ModuleType("tensorflow.contrib")
    contrib.image = types.SimpleNamespace(rotate=rotate)
    contrib.slim = tf_slim
    tf.contrib = contrib
    sys.modules["tensorflow.contrib"] = contrib
    sys.modules["tensorflow.contrib.slim"] = tf_slim
    if "IPython" not in sys.modules:
        ipython = types.ModuleType("IPython")
        display = types.ModuleType("IPython.display")
        display.display = display.HTML = display.Image = display.Javascript = _display_unavailable
        ipython.display = display
        ipython.get_ipython = lambda: None
        sys.modules["IPython"] = ipython
        sys.modules["IPython.display"] = display


def _import_lucid():
    real_tf = sys.modules["tensorflow"]
    sys.modules["tensorflow"] = tf
    try:
        import lucid.misc.io  # noqa: F401
        import lucid.misc.channel_reducer
        import lucid.misc.gradient_override
        import lucid.misc.redirected_relu_grad
        import lucid.modelzoo.vision_base
        import lucid.optvis.objectives
        import lucid.optvis.param
        import lucid.optvis.render
        import lucid.optvis.transform
    finally:
        sys.modules["tensorflow"] = real_tf
    return lucid


_install_stand_ins()
lucid = _import_lucid()
objectives = lucid.optvis.objectives
param = lucid.optvis.param
render = lucid.optvis.render
transform = lucid.optvis.transform
vision_base = lucid.modelzoo.vision_base
ChannelReducer = lucid.misc.channel_reducer.ChannelReducer
gradient_override_map = lucid.misc.gradient_override.gradient_override_map
redirected_relu_grad = lucid.misc.redirected_relu_grad.redirected_relu_grad
redirected_relu6_grad = lucid.misc.redirected_relu_grad.redirected_relu6_grad
