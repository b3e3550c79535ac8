"""The rnn layers of cornu-layers.

``_LAYER_CLASSES`` maps each class to its Keras aliases; ``cornu.layers`` merges it
into its own table (what ``_plugin.py`` registers) and re-exports ``__all__``.
The loops themselves live in the backends (``backend.rnn``: the generic loop and
the fused LSTM/GRU paths).
"""
from cornu.layers.rnn.bidirectional import Bidirectional
from cornu.layers.rnn.conv_lstm1d import ConvLSTM1D
from cornu.layers.rnn.conv_lstm2d import ConvLSTM2D
from cornu.layers.rnn.conv_lstm3d import ConvLSTM3D
from cornu.layers.rnn.gru import GRU, GRUCell
from cornu.layers.rnn.lstm import LSTM, LSTMCell
from cornu.layers.rnn.rnn import RNN
from cornu.layers.rnn.simple_rnn import SimpleRNN, SimpleRNNCell
from cornu.layers.rnn.stacked_rnn_cells import StackedRNNCells

_LAYER_CLASSES: dict = {
    RNN: (), SimpleRNN: (), SimpleRNNCell: (), LSTM: (), LSTMCell: (), GRU: (), GRUCell: (),
    StackedRNNCells: (), Bidirectional: (), ConvLSTM1D: (), ConvLSTM2D: (), ConvLSTM3D: (),
}

__all__: list = [cls.__name__ for cls in _LAYER_CLASSES]
