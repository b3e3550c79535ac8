"""Recurrent loops on TensorFlow: a ``tf.while_loop`` over time, and LSTM/GRU.

``rnn`` runs any step function over the time axis with Keras masking semantics
(a masked step keeps the previous states and repeats the previous output, or
gives zeros with ``zero_output_for_mask``).  The loop is one ``tf.while_loop``
over ``TensorArray``s (one graph loop inside ``tf.function``; no Python
unrolling unless ``unroll=True``).  The first step runs before the loop, which
gives the loop its output shapes without tracing the step twice.

``lstm`` and ``gru`` take the Keras-layout weights; they compute the input
projection of every step in one matmul and loop over only the recurrent matmul.
(TensorFlow's fused cuDNN kernel exists only on GPU; on CPU this graph loop is
the implementation.)
"""
import tensorflow as tf

from cornu import tree
from cornu.backends.tensorflow._utils import to_tensor
from cornu.ops.toolkit import rnn_args as _args


def _time_major(x):
    perm = [1, 0] + list(range(2, x.shape.rank))
    return tf.transpose(x, perm)


def _select(mask_t, new, old):
    """``new`` where the ``(batch,)`` mask is set, else ``old`` (broadcast over features)."""
    m = tf.reshape(mask_t, tf.concat([tf.shape(mask_t), tf.ones([new.shape.rank - 1],
                                                                  tf.int32)], 0))
    return tf.where(m, new, old)


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None,
        constants=None, unroll=False, input_length=None, time_major=False,
        zero_output_for_mask=False, return_all_outputs=True):
    """Iterate ``step_function(input_t, states) -> (output_t, new_states)`` over time.

    Args:
        step_function: the step; receives one step's inputs (the structure of
            ``inputs`` without the time axis) and the tuple of states (followed by
            ``constants`` when given).
        inputs: ``(batch, time, ...)`` tensor or a structure of them
            (``(time, batch, ...)`` with ``time_major``).
        initial_states: list of state tensors (may be nested).
        go_backwards: iterate from the last step to the first; the outputs are in
            processing order (reversed).
        mask: optional ``(batch, time)`` boolean mask.
        constants: optional list of tensors appended to the states at every step.
        unroll: a Python loop over a known number of steps instead of a graph loop.
        zero_output_for_mask: masked steps output zeros instead of the previous output.
        return_all_outputs: keep every step's output (else only the last one).

    Returns:
        ``(last_output, outputs, new_states)``; ``outputs`` is ``(batch, time, ...)``
        (or ``(batch, 1, ...)`` without ``return_all_outputs``).
    """
    flat_inputs = [to_tensor(x) for x in tree.flatten(inputs)]
    if not time_major:
        flat_inputs = [_time_major(x) for x in flat_inputs]
    if go_backwards:
        flat_inputs = [tf.reverse(x, [0]) for x in flat_inputs]
    if mask is not None:
        mask = tf.cast(to_tensor(mask), tf.bool)
        if mask.shape.rank > 2:
            mask = tf.reshape(mask, tf.shape(mask)[:2])
        if not time_major:
            mask = tf.transpose(mask)
        if go_backwards:
            mask = tf.reverse(mask, [0])
    extra = tuple(constants) if constants else ()
    nested = tree.is_nested(inputs)
    states = list(initial_states)
    state_structure = states

    def pack(flat):
        return tree.pack_sequence_as(inputs, flat) if nested else flat[0]

    def one_step(x_t, mask_t, prev_output, flat_states):
        output, new_states = step_function(
            x_t, tuple(tree.pack_sequence_as(state_structure, flat_states)) + extra)
        if not tree.is_nested(new_states):
            new_states = [new_states]
        flat_new = tree.flatten(new_states)
        if mask_t is not None:
            fill = tf.zeros_like(output) if (prev_output is None or zero_output_for_mask) \
                else prev_output
            output = _select(mask_t, output, fill)
            flat_new = [_select(mask_t, n, o) for n, o in zip(flat_new, flat_states)]
        # Keep the states' static shapes so the loop's shape invariants hold.
        flat_new = [n if n.shape.as_list() == o.shape.as_list() else tf.ensure_shape(n, o.shape)
                    for n, o in zip(flat_new, flat_states)]
        return output, flat_new

    flat_states = [tf.convert_to_tensor(to_tensor(s)) for s in tree.flatten(states)]
    static_steps = flat_inputs[0].shape[0]
    if unroll:
        if static_steps is None:
            raise ValueError("rnn: unroll=True needs a known number of time steps")
        outputs, output = [], None
        for t in range(static_steps):
            output, flat_states = one_step(
                pack([x[t] for x in flat_inputs]), None if mask is None else mask[t],
                output, flat_states)
            if return_all_outputs:
                outputs.append(output)
        stacked = tf.stack(outputs if return_all_outputs else [output], 0)
    else:
        # Step 0 outside the loop: it fixes the output's shape and dtype.
        output, flat_states = one_step(
            pack([x[0] for x in flat_inputs]), None if mask is None else mask[0], None,
            flat_states)
        num_steps = tf.shape(flat_inputs[0])[0] if static_steps is None else static_steps
        input_tas = [
            tf.TensorArray(x.dtype, size=num_steps, element_shape=x.shape[1:]).unstack(x)
            for x in flat_inputs
        ]
        mask_ta = None if mask is None else tf.TensorArray(
            tf.bool, size=num_steps, element_shape=mask.shape[1:]).unstack(mask)
        out_ta = None
        if return_all_outputs:
            out_ta = tf.TensorArray(output.dtype, size=num_steps, element_shape=output.shape)
            out_ta = out_ta.write(0, output)

        def body(t, prev_output, flat_states, out_ta):
            x_t = pack([ta.read(t) for ta in input_tas])
            out, new_states = one_step(x_t, None if mask_ta is None else mask_ta.read(t),
                                       prev_output, flat_states)
            if out_ta is not None:
                out_ta = out_ta.write(t, out)
            return t + 1, out, new_states, out_ta

        loop_vars = (tf.constant(1), output, flat_states, out_ta)
        if out_ta is None:
            loop_vars = loop_vars[:3]
            _, output, flat_states = tf.while_loop(
                lambda t, *_: t < num_steps, lambda *a: body(*a, None)[:3], loop_vars,
                maximum_iterations=num_steps if static_steps is not None else None)
        else:
            _, output, flat_states, out_ta = tf.while_loop(
                lambda t, *_: t < num_steps, body, loop_vars,
                maximum_iterations=num_steps if static_steps is not None else None)
        stacked = out_ta.stack() if out_ta is not None else tf.expand_dims(output, 0)
    if not time_major:
        stacked = _time_major(stacked)
    new_states = tree.pack_sequence_as(state_structure, list(flat_states))
    return output, stacked, list(new_states)


def _prepare(inputs, states, kernel, recurrent_kernel, bias):
    kernel = to_tensor(kernel)
    dtype = kernel.dtype
    inputs = tf.cast(to_tensor(inputs), dtype)
    states = [tf.cast(to_tensor(s), dtype) for s in states]
    return inputs, states, kernel, to_tensor(recurrent_kernel), (
        None if bias is None else to_tensor(bias))


def _run_time_major(step, projected, states, mask, go_backwards, unroll,
                    zero_output_for_mask, return_sequences):
    if mask is not None:
        mask = tf.transpose(tf.cast(to_tensor(mask), tf.bool))
    last, outputs, states = rnn(
        step, projected, states, go_backwards=go_backwards, mask=mask, unroll=unroll,
        time_major=True, zero_output_for_mask=zero_output_for_mask,
        return_all_outputs=return_sequences)
    return last, _time_major(outputs), states


def lstm(inputs, initial_state_h, initial_state_c, mask, kernel, recurrent_kernel, bias,
         activation, recurrent_activation, return_sequences=False, go_backwards=False,
         unroll=False, zero_output_for_mask=False):
    """An LSTM over ``inputs (batch, time, features)`` with Keras-layout weights (gate
    order i, f, c, o).  Returns ``(last_output, outputs, [h, c])``."""
    inputs, (h0, c0), kernel, recurrent_kernel, bias = _prepare(
        inputs, (initial_state_h, initial_state_c), kernel, recurrent_kernel, bias)
    # The input projection runs inside the loop, one step at a time: measured faster on
    # the CPU than one big matmul up front, whose (time, batch, 4 * units) result the
    # loop (and its gradient) would have to store and copy.
    def step(x_t, states):
        h, c = states
        z = tf.matmul(x_t, kernel) + tf.matmul(h, recurrent_kernel)
        if bias is not None:
            z = tf.nn.bias_add(z, bias)
        z_i, z_f, z_c, z_o = tf.split(z, 4, axis=-1)
        c = recurrent_activation(z_f) * c + recurrent_activation(z_i) * activation(z_c)
        h = recurrent_activation(z_o) * activation(c)
        return h, [h, c]

    return _run_time_major(step, _time_major(inputs), [h0, c0], mask, go_backwards, unroll,
                           zero_output_for_mask, return_sequences)


def gru(inputs, initial_state, mask, kernel, recurrent_kernel, bias, activation,
        recurrent_activation, return_sequences=False, go_backwards=False, unroll=False,
        reset_after=True, zero_output_for_mask=False):
    """A GRU over ``inputs (batch, time, features)`` with Keras-layout weights (gate
    order z, r, h; ``bias`` ``(2, 3 * units)`` with ``reset_after`` else
    ``(3 * units,)``).  Returns ``(last_output, outputs, [h])``."""
    inputs, (h0,), kernel, recurrent_kernel, bias = _prepare(
        inputs, (initial_state,), kernel, recurrent_kernel, bias)
    units = recurrent_kernel.shape[0]
    input_bias, recurrent_bias = _args.gru_biases(bias, reset_after)
    def project(x_t):  # inside the loop, as for the LSTM
        x = tf.matmul(x_t, kernel)
        return x if input_bias is None else tf.nn.bias_add(x, input_bias)

    if reset_after:
        def step(x, states):
            x = project(x)
            h = states[0]
            inner = tf.matmul(h, recurrent_kernel)
            if recurrent_bias is not None:
                inner = inner + recurrent_bias
            x_z, x_r, x_h = tf.split(x, 3, axis=-1)
            i_z, i_r, i_h = tf.split(inner, 3, axis=-1)
            z = recurrent_activation(x_z + i_z)
            r = recurrent_activation(x_r + i_r)
            hh = activation(x_h + r * i_h)
            h = z * h + (1 - z) * hh
            return h, [h]
    else:
        gates_kernel = recurrent_kernel[:, :2 * units]
        candidate_kernel = recurrent_kernel[:, 2 * units:]

        def step(x, states):
            x = project(x)
            h = states[0]
            x_z, x_r, x_h = tf.split(x, 3, axis=-1)
            i_z, i_r = tf.split(tf.matmul(h, gates_kernel), 2, axis=-1)
            z = recurrent_activation(x_z + i_z)
            r = recurrent_activation(x_r + i_r)
            hh = activation(x_h + tf.matmul(r * h, candidate_kernel))
            h = z * h + (1 - z) * hh
            return h, [h]

    return _run_time_major(step, _time_major(inputs), [h0], mask, go_backwards, unroll,
                           zero_output_for_mask, return_sequences)
