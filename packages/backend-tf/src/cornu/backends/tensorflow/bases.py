"""What cornu's engine classes mix in on TensorFlow: trackables and resource variables.

* ``Layer``: every ``cornu.Layer`` is a TensorFlow ``Trackable`` whose children are its
  sublayers and its own variables, named as ``cornu.Layer`` tracks them (attribute
  names, indices, variable names), so ``tf.train.Checkpoint(model=model)`` writes and
  reads a model's weights, restoring into a fresh model of the same architecture
  (also into variables created after ``read``, when the layer builds).
* ``Variable``: every ``cornu.Variable`` acts as a resource variable for TensorFlow:
  ``tf.GradientTape.gradient`` takes it as a source (through ``handle``, the handle of
  its ``tf.Variable``), and it saves and restores as that ``tf.Variable`` in
  checkpoints and SavedModels.  (Reads as a tensor go through the conversion function
  that ``core`` registers.)
* ``Model``: ``model.distribute_strategy``, the ``tf.distribute`` strategy the model
  runs under, as Keras's TensorFlow trainer has it (KerasTuner reads it).

This module imports tensorflow only (no cornu engine module): ``cornu.layer`` and
``cornu.variables`` import it while they define their classes.
"""
import tensorflow as tf

_Trackable = tf.__internal__.tracking.Trackable


class Layer(_Trackable):
    """The TensorFlow base of ``cornu.Layer``: a trackable listing its sublayers and variables."""

    def __init__(self):
        object.__setattr__(self, "_tracked_children", {})

    # -- tracking: called by cornu.Layer -------------------------------------------
    def _register_tracked(self, value, name):
        children = self._tracked_children
        if any(child is value for child in children.values()):
            return  # already a child (under another name): nothing twice
        key = base = str(name) or "_"
        i = 0
        while key in children:
            i += 1
            key = f"{base}_{i}"
        children[key] = value
        deferred = self.__dict__.get("_self_unconditional_deferred_dependencies")
        if deferred and key in deferred:
            # A checkpoint was read before this child existed: restore it now, eagerly
            # (the child may be created inside a tf.function's first trace).
            with tf.init_scope():
                self._handle_deferred_dependencies(name=key, trackable=value)

    def _unregister_tracked(self, value):
        children = self._tracked_children
        for key in [k for k, child in children.items() if child is value]:
            del children[key]

    # -- the trackable protocol --------------------------------------------------------
    def _trackable_children(self, save_type="checkpoint", **kwargs):
        children = dict(super()._trackable_children(save_type, **kwargs))
        children.update(self._tracked_children)
        return children


class Variable(_Trackable):
    """The TensorFlow base of ``cornu.Variable``: its ``tf.Variable`` (``_value``) to TF."""

    # tf.GradientTape.gradient (and other TF code) treats an object with this attribute
    # as a resource variable and differentiates with respect to its ``handle``.
    _should_act_as_resource_variable = True

    @property
    def handle(self):
        return self._value.handle

    @property
    def _unique_id(self):
        return self._value._unique_id

    @property
    def _shared_name(self):
        return self._value._shared_name

    # -- checkpoints and SavedModels: as the tf.Variable itself ------------------------
    def _serialize_to_tensors(self):
        return self._value._serialize_to_tensors()

    def _restore_from_tensors(self, restored_tensors):
        return self._value._restore_from_tensors(restored_tensors)

    def _copy_trackable_to_cpu(self, object_map):
        self._value._copy_trackable_to_cpu(object_map)
        object_map[self] = object_map[self._value]

    def _export_to_saved_model_graph(self, object_map, tensor_map, options, **kwargs):
        resources = self._value._export_to_saved_model_graph(
            object_map, tensor_map, options, **kwargs)
        object_map[self] = object_map[self._value]
        return resources

    def _write_object_proto(self, proto, options):
        return self._value._write_object_proto(proto, options)


class Model:
    @property
    def distribute_strategy(self):
        """The ``tf.distribute`` strategy of the model's ``cornu.distribution`` (set
        when the model was compiled under one), else TensorFlow's current strategy."""
        distribution = getattr(self, "_distribution", None)
        strategy = getattr(getattr(distribution, "_impl", None), "strategy", None)
        return strategy if strategy is not None else tf.distribute.get_strategy()

