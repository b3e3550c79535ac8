"""The order in which Keras 3 lists a graph's operations (``Functional.layers``).

Keras orders the operations of a graph by decreasing depth (the longest path to an
output), ties broken by first discovery in a depth-first walk from the outputs.
This is the order of ``model.layers``, hence of ``get_weights()``, of
``trainable_variables`` (so of the optimizer's slots) and of the weight paths in
saved files (``layers/dense``, ``layers/dense_1``); in a branching graph it can
differ from the order of the calls.
"""


def keras_operation_order(inputs, outputs):
    """Every operation (layer or op node) between ``inputs`` and ``outputs``, Keras's way."""
    input_ids = {id(t) for t in inputs}
    finished, order, index = set(), [], {}

    def visit(tensor):
        history = tensor._keras_history
        if history is None:
            return
        operation, node_index, _ = history
        node = operation._inbound_nodes[node_index]
        if id(node) in finished:
            return
        index.setdefault(id(operation), (len(index), operation))
        if id(tensor) not in input_ids:
            for t in node.input_tensors:
                visit(t)
        finished.add(id(node))
        order.append(node)

    for t in outputs:
        visit(t)
    node_depth, op_depth = {}, {}
    for node in reversed(order):
        depth = max(node_depth.setdefault(id(node), 0), op_depth.get(id(node.operation), 0))
        op_depth[id(node.operation)] = depth
        node_depth[id(node)] = depth
        for t in node.input_tensors:
            if t._keras_history is not None:
                operation, node_index, _ = t._keras_history
                parent = operation._inbound_nodes[node_index]
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for t in inputs:
        operation = t._keras_history[0]
        if id(operation) not in op_depth:
            op_depth[id(operation)] = 0
            index[id(operation)] = (-1, operation)
    ranked = sorted(index.values(), key=lambda item: (-op_depth[id(item[1])], item[0]))
    return [operation for _, operation in ranked]
