"""Recurrent loops on PyTorch: the generic step loop and the fused LSTM/GRU kernels.

``rnn`` runs any step function over the time axis (Keras semantics for masks:
a masked step keeps the previous states and repeats the previous output, or
gives zeros with ``zero_output_for_mask``).  ``lstm`` and ``gru`` take the
weights in the Keras layout (``kernel (input_dim, k * units)``,
``recurrent_kernel (units, k * units)``, Keras gate order) and run

* torch's own fused kernel (``torch._VF.lstm`` / ``torch._VF.gru``: the native
  C++ loop on CPU, cuDNN on CUDA) when the arguments allow it: tanh/sigmoid
  activations, ``unroll=False``, no mask or a right-padded mask (a packed
  sequence), and for the GRU ``reset_after=True``;
* otherwise a loop that computes the input projection of every step in one
  matmul and only the recurrent matmul per step.

They return ``(last_output, outputs, states)`` like ``rnn``.
"""
import torch

from cornu import tree
from cornu.backends.torch._utils import to_tensor
from cornu.ops.toolkit import rnn_args as _args


def _expand_mask(mask_t, like):
    """``(batch,)`` bool mask reshaped to broadcast against ``like`` ``(batch, ...)``."""
    return mask_t.reshape(mask_t.shape + (1,) * (like.dim() - 1))


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None,
        constants=None, unroll=False, input_length=None, time_major=False,
        zero_output_for_mask=False, return_all_outputs=True):
    """Iterate ``step_function(input_t, states) -> (output_t, new_states)`` over time.

    Args:
        step_function: the step; receives the inputs of one step (the structure of
            ``inputs`` without the time axis) and the list of states (followed by
            ``constants`` when given).
        inputs: ``(batch, time, ...)`` tensor or a structure of them
            (``(time, batch, ...)`` with ``time_major``).
        initial_states: list of state tensors (may be nested).
        go_backwards: iterate from the last step to the first; the outputs are in
            processing order (reversed).
        mask: optional ``(batch, time)`` boolean mask.
        constants: optional list of tensors appended to the states at every step.
        unroll: accepted for the Keras signature (the loop is always Python here).
        zero_output_for_mask: masked steps output zeros instead of the previous output.
        return_all_outputs: keep every step's output (else only the last one).

    Returns:
        ``(last_output, outputs, new_states)``; ``outputs`` is ``(batch, time, ...)``
        (or ``(batch, 1, ...)`` without ``return_all_outputs``).
    """
    flat_inputs = [to_tensor(x) for x in tree.flatten(inputs)]
    if time_major:
        steps = [list(torch.unbind(x, 0)) for x in flat_inputs]
    else:
        steps = [list(torch.unbind(x, 1)) for x in flat_inputs]
    num_steps = len(steps[0])
    if num_steps == 0:
        raise ValueError("rnn: the inputs have no time steps (time axis of size 0)")
    order = range(num_steps - 1, -1, -1) if go_backwards else range(num_steps)
    if mask is not None:
        mask = to_tensor(mask)
        if mask.dtype != torch.bool:
            mask = mask.bool()
        if mask.dim() > 2:
            mask = mask.reshape(mask.shape[:2])
        mask_steps = torch.unbind(mask, 0 if time_major else 1)
    extra = tuple(constants) if constants else ()
    nested = tree.is_nested(inputs)
    states = list(initial_states)
    structure = states
    nested_states = any(tree.is_nested(s) for s in states)
    outputs = []
    prev_output = None
    for t in order:
        x_t = tree.pack_sequence_as(inputs, [s[t] for s in steps]) if nested else steps[0][t]
        output, new_states = step_function(x_t, tuple(states) + extra)
        if not tree.is_nested(new_states):
            new_states = [new_states]
        flat_new = tree.flatten(new_states)
        if mask is not None:
            m = mask_steps[t]
            if prev_output is None or zero_output_for_mask:
                fill = torch.zeros_like(output)
            else:
                fill = prev_output
            output = torch.where(_expand_mask(m, output), output, fill)
            flat_new = [torch.where(_expand_mask(m, new), new, old)
                        for new, old in zip(flat_new, tree.flatten(states))]
        # The states keep the structure of the initial states.
        states = tree.pack_sequence_as(structure, flat_new) if nested_states else flat_new
        prev_output = output
        if return_all_outputs:
            outputs.append(output)
    if return_all_outputs:
        stacked = torch.stack(outputs, 0 if time_major else 1)
    else:
        stacked = prev_output.unsqueeze(0 if time_major else 1)
    return prev_output, stacked, states


# -- fused kernels ----------------------------------------------------------------
def _is_default(activation, recurrent_activation):
    from cornu import activations

    return (activation in (activations.tanh, torch.tanh)
            and recurrent_activation in (activations.sigmoid, torch.sigmoid))


def _lengths_if_right_padded(mask):
    """Per-sequence lengths when ``mask`` is strictly right-padded with no empty
    sequence, else None (one host read: the packed kernel needs host lengths)."""
    mask = to_tensor(mask)
    if mask.dim() > 2:
        mask = mask.reshape(mask.shape[:2])
    mask = mask.bool()
    lengths = mask.sum(1)
    steps = torch.arange(mask.shape[1], device=mask.device)
    padded = steps.unsqueeze(0) < lengths.unsqueeze(1)
    if torch.equal(mask, padded) and bool(lengths.min() > 0):
        return lengths.cpu()
    return None


def _run_fused(fn, inputs, hx, params, has_biases, mask, go_backwards,
               zero_output_for_mask, return_sequences):
    """Call ``torch._VF.lstm``/``gru`` batch-first, packed when there is a mask.

    ``hx`` is a tuple of ``(batch, units)`` states; returns
    ``(last_output, outputs, final_states)`` with Keras masking semantics.
    """
    hx = tuple(h.unsqueeze(0) for h in hx)
    single = len(hx) == 1
    if go_backwards:
        inputs = torch.flip(inputs, (1,))
    if mask is None:
        result = fn(inputs, hx[0] if single else hx, params, has_biases, 1, 0.0, True, False,
                    True)
        outputs, finals = result[0], result[1:]
        finals = [f.squeeze(0) for f in finals]
        last = outputs[:, -1]
        return last, (outputs if return_sequences else last.unsqueeze(1)), finals
    lengths = mask
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        inputs, lengths, batch_first=True, enforce_sorted=False)
    order, unorder = packed.sorted_indices, packed.unsorted_indices
    hx = tuple(h.index_select(1, order) for h in hx)
    result = fn(packed.data, packed.batch_sizes, hx[0] if single else hx, params, has_biases,
                1, 0.0, True, False)
    finals = [f.index_select(1, unorder).squeeze(0) for f in result[1:]]
    last = finals[0]
    if not return_sequences and not zero_output_for_mask:
        return last, last.unsqueeze(1), finals
    outputs, _ = torch.nn.utils.rnn.pad_packed_sequence(
        torch.nn.utils.rnn.PackedSequence(result[0], packed.batch_sizes, order, unorder),
        batch_first=True, total_length=inputs.shape[1])
    if not zero_output_for_mask:
        # Keras repeats the last valid output over the padded steps.
        valid = (torch.arange(inputs.shape[1], device=outputs.device).unsqueeze(0)
                 < lengths.to(outputs.device).unsqueeze(1))
        outputs = torch.where(valid.unsqueeze(-1), outputs, last.unsqueeze(1))
    last = outputs[:, -1]
    return last, (outputs if return_sequences else last.unsqueeze(1)), finals


def _prepare(inputs, states, kernel, recurrent_kernel, bias):
    kernel = to_tensor(kernel)
    dtype = kernel.dtype
    inputs = to_tensor(inputs).to(dtype)
    states = [to_tensor(s).to(dtype) for s in states]
    return inputs, states, kernel, to_tensor(recurrent_kernel), (
        None if bias is None else to_tensor(bias))


def lstm(inputs, initial_state_h, initial_state_c, mask, kernel, recurrent_kernel, bias,
         activation, recurrent_activation, return_sequences=False, go_backwards=False,
         unroll=False, zero_output_for_mask=False):
    """An LSTM over ``inputs (batch, time, features)`` with Keras-layout weights.

    Gate order i, f, c, o (the same as torch's).  Returns
    ``(last_output, outputs, [h, c])``.
    """
    inputs, (h0, c0), kernel, recurrent_kernel, bias = _prepare(
        inputs, (initial_state_h, initial_state_c), kernel, recurrent_kernel, bias)
    units = recurrent_kernel.shape[0]
    lengths = None
    fused = not unroll and _is_default(activation, recurrent_activation)
    if fused and mask is not None:
        lengths = None if go_backwards else _lengths_if_right_padded(mask)
        fused = lengths is not None
    if fused:
        params = [kernel.t(), recurrent_kernel.t()]
        if bias is not None:
            params += [bias, torch.zeros_like(bias)]
        if inputs.is_cuda:  # cuDNN wants contiguous weights
            params = [p.contiguous() for p in params]
        return _run_fused(torch._VF.lstm, inputs, (h0, c0), params, bias is not None,
                          lengths, go_backwards, zero_output_for_mask, return_sequences)
    # The input projection of every step at once; only h @ recurrent_kernel per step.
    projected = torch.matmul(inputs, kernel)
    if bias is not None:
        projected = projected + bias

    def step(z, states):
        h, c = states
        z = z + torch.matmul(h, recurrent_kernel)
        i = recurrent_activation(z[:, :units])
        f = recurrent_activation(z[:, units:2 * units])
        g = activation(z[:, 2 * units:3 * units])
        o = recurrent_activation(z[:, 3 * units:])
        c = f * c + i * g
        h = o * activation(c)
        return h, [h, c]

    return rnn(step, projected, [h0, c0], go_backwards=go_backwards, mask=mask,
               zero_output_for_mask=zero_output_for_mask, return_all_outputs=return_sequences)


def _gru_to_torch(w, units):
    """Keras gate order (z, r, h) along the last axis -> torch's (r, z, n)."""
    return torch.cat([w[..., units:2 * units], w[..., :units], w[..., 2 * units:]], -1)


def gru(inputs, initial_state, mask, kernel, recurrent_kernel, bias, activation,
        recurrent_activation, return_sequences=False, go_backwards=False, unroll=False,
        reset_after=True, zero_output_for_mask=False):
    """A GRU over ``inputs (batch, time, features)`` with Keras-layout weights.

    Gate order z, r, h; ``bias`` is ``(2, 3 * units)`` (input and recurrent biases)
    with ``reset_after`` else ``(3 * units,)``.  Returns ``(last_output, outputs, [h])``.
    """
    inputs, (h0,), kernel, recurrent_kernel, bias = _prepare(
        inputs, (initial_state,), kernel, recurrent_kernel, bias)
    units = recurrent_kernel.shape[0]
    lengths = None
    fused = reset_after and not unroll and _is_default(activation, recurrent_activation)
    if fused and mask is not None:
        lengths = None if go_backwards else _lengths_if_right_padded(mask)
        fused = lengths is not None
    if fused:
        params = [_gru_to_torch(kernel, units).t(), _gru_to_torch(recurrent_kernel, units).t()]
        if bias is not None:
            params += [_gru_to_torch(bias[0], units), _gru_to_torch(bias[1], units)]
        if inputs.is_cuda:
            params = [p.contiguous() for p in params]
        return _run_fused(torch._VF.gru, inputs, (h0,), params, bias is not None, lengths,
                          go_backwards, zero_output_for_mask, return_sequences)
    input_bias, recurrent_bias = _args.gru_biases(bias, reset_after)
    projected = torch.matmul(inputs, kernel)
    if input_bias is not None:
        projected = projected + input_bias
    if reset_after:
        def step(x, states):
            h = states[0]
            inner = torch.matmul(h, recurrent_kernel)
            if recurrent_bias is not None:
                inner = inner + recurrent_bias
            z = recurrent_activation(x[:, :units] + inner[:, :units])
            r = recurrent_activation(x[:, units:2 * units] + inner[:, units:2 * units])
            hh = activation(x[:, 2 * units:] + r * inner[:, 2 * units:])
            h = z * h + (1 - z) * hh
            return h, [h]
    else:
        gates_kernel = recurrent_kernel[:, :2 * units]
        candidate_kernel = recurrent_kernel[:, 2 * units:]

        def step(x, states):
            h = states[0]
            inner = torch.matmul(h, gates_kernel)
            z = recurrent_activation(x[:, :units] + inner[:, :units])
            r = recurrent_activation(x[:, units:2 * units] + inner[:, units:])
            hh = activation(x[:, 2 * units:] + torch.matmul(r * h, candidate_kernel))
            h = z * h + (1 - z) * hh
            return h, [h]

    return rnn(step, projected, [h0], go_backwards=go_backwards, mask=mask,
               zero_output_for_mask=zero_output_for_mask, return_all_outputs=return_sequences)
