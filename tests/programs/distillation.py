"""Knowledge distillation: a small student learns from a trained teacher.

The Distiller wraps both models, takes its own compile() arguments (two loss
functions, alpha and the temperature) and overrides compute_loss, so the
default train_step does the rest on any backend.
"""
import keras
import numpy as np
from keras import layers, ops


class Distiller(keras.Model):
    def __init__(self, student, teacher):
        super().__init__()
        self.teacher = teacher
        self.student = student

    def compile(self, optimizer, metrics, student_loss_fn, distillation_loss_fn,
                alpha=0.1, temperature=3):
        super().compile(optimizer=optimizer, metrics=metrics)
        self.student_loss_fn = student_loss_fn
        self.distillation_loss_fn = distillation_loss_fn
        self.alpha = alpha
        self.temperature = temperature

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        teacher_pred = self.teacher(x, training=False)
        student_loss = self.student_loss_fn(y, y_pred)
        distillation_loss = self.distillation_loss_fn(
            ops.softmax(teacher_pred / self.temperature, axis=1),
            ops.softmax(y_pred / self.temperature, axis=1),
        ) * (self.temperature ** 2)
        return self.alpha * student_loss + (1 - self.alpha) * distillation_loss

    def call(self, x):
        return self.student(x)


def classifier(width, name):
    return keras.Sequential([
        keras.Input(shape=(20,)),
        layers.Dense(width, activation="relu"),
        layers.Dense(width, activation="relu"),
        layers.Dense(4),
    ], name=name)


rng = np.random.default_rng(10)
x = rng.normal(size=(384, 20)).astype("float32")
projection = rng.normal(size=(20, 4))
y = np.argmax(x @ projection, axis=1)
x_train, y_train, x_test, y_test = x[:320], y[:320], x[320:], y[320:]

teacher = classifier(48, "teacher")
student = classifier(8, "student")
for net in (teacher, student):
    net.set_weights([rng.normal(0, 0.2, w.shape).astype("float32") for w in net.get_weights()])
student_scratch = keras.models.clone_model(student)
student_scratch.set_weights(student.get_weights())

teacher.compile(optimizer=keras.optimizers.Adam(2e-3),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=[keras.metrics.SparseCategoricalAccuracy()])
teacher_history = teacher.fit(x_train, y_train, epochs=4, batch_size=32, shuffle=False, verbose=0)
teacher_eval = teacher.evaluate(x_test, y_test, verbose=0)
teacher.trainable = False

distiller = Distiller(student=student, teacher=teacher)
distiller.compile(
    optimizer=keras.optimizers.Adam(2e-3),
    metrics=[keras.metrics.SparseCategoricalAccuracy()],
    student_loss_fn=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    distillation_loss_fn=keras.losses.KLDivergence(),
    alpha=0.1,
    temperature=4,
)
teacher_weights_before = [w.copy() for w in teacher.get_weights()]
distill_history = distiller.fit(x_train, y_train, epochs=4, batch_size=32, shuffle=False, verbose=0)
distiller_eval = distiller.evaluate(x_test, y_test, verbose=0, return_dict=True)

student_scratch.compile(optimizer=keras.optimizers.Adam(2e-3),
                        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                        metrics=[keras.metrics.SparseCategoricalAccuracy()])
scratch_history = student_scratch.fit(x_train, y_train, epochs=4, batch_size=32, shuffle=False,
                                      verbose=0)

RESULT = {
    "teacher_loss": teacher_history.history["loss"],
    "teacher_eval": teacher_eval,
    "distill_loss": distill_history.history["loss"],
    "distill_accuracy": distill_history.history["sparse_categorical_accuracy"],
    "distiller_eval": [distiller_eval["loss"], distiller_eval["sparse_categorical_accuracy"]],
    "teacher_unchanged": bool(all(np.array_equal(a, b) for a, b in
                                  zip(teacher_weights_before, teacher.get_weights()))),
    "distiller_trainable_count": len(distiller.trainable_weights),
    "scratch_loss": scratch_history.history["loss"],
    "student_logits": student.predict(x_test[:5], verbose=0),
}
