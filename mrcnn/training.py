"""The training loop: layer selection, losses with weight decay, SGD with momentum (or Adam) and
gradient clipping, learning-rate warm-up and schedule, tf.distribute replication, per-epoch
checkpoints, TensorBoard logs, and a guard that stops on a non-finite loss."""

import contextlib
import logging
import math
import re
import time

import keras
import numpy as np
import tensorflow as tf

from . import weights_io
from .modeling.layer_order import layers_in_creation_order
from .modeling.layers import TimeDistributed
from .modeling.losses import LOSS_NAMES

logger = logging.getLogger(__name__)

# matterport's presets for MaskRCNN.train(layers=...): which layers train, by name.
LAYER_PRESETS = {
    # The heads only: RPN, classifier and mask heads, and the FPN.
    "heads": r"(mrcnn\_.*)|(rpn\_.*)|(fpn\_.*)",
    # The backbone from the stage giving C3 (resp. C4, C5) up, plus the heads: ResNet stages
    # 3, 4, 5; EfficientNet-Lite's stages of the same strides (8: stage 3; 16: stages 4-5;
    # 32: stages 6-7).
    "3+": r"(res3.*)|(bn3.*)|(res4.*)|(bn4.*)|(res5.*)|(bn5.*)|(effnet\_block[3-7].*)|"
          r"(mrcnn\_.*)|(rpn\_.*)|(fpn\_.*)",
    "4+": r"(res4.*)|(bn4.*)|(res5.*)|(bn5.*)|(effnet\_block[4-7].*)|"
          r"(mrcnn\_.*)|(rpn\_.*)|(fpn\_.*)",
    "5+": r"(res5.*)|(bn5.*)|(effnet\_block[6-7].*)|(mrcnn\_.*)|(rpn\_.*)|(fpn\_.*)",
    "all": ".*",
}


class TimeLimit(keras.callbacks.Callback):
    """Stop training at the end of the last epoch that fits in ``seconds`` of wall time.

    After each epoch it predicts the next one's duration as the longest epoch so far and
    stops when that would overrun the limit, so every epoch run is complete and checkpointed.
    The clock starts with training (model building and weight loading are not counted).

    It also predicts where training will end, ``last_epoch_that_fits`` (1-based, counted like
    ``epochs``; None before the first epoch ends), from the median epoch so far (the first
    one, which traces the graph, only while it is the only one). ``Trainer.fit`` ends a decaying
    learning-rate schedule there when that comes before ``epochs``, so a slower machine still
    anneals to the end instead of being stopped part-way down the schedule.
    """

    def __init__(self, seconds):
        super().__init__()
        self.seconds = float(seconds)
        self.started = self.epoch_started = None
        self.epoch_seconds = []
        self.last_epoch_that_fits = None
        self.stopped_early = False

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        self.epoch_seconds.append(now - self.epoch_started)
        typical = float(np.median(self.epoch_seconds[1:] or self.epoch_seconds))
        remaining = self.seconds - (now - self.started)
        self.last_epoch_that_fits = epoch + 1 + max(0, int(remaining // max(typical, 1e-9)))
        if now - self.started + max(self.epoch_seconds) > self.seconds:
            self.stopped_early = True
            self.model.stop_training = True


class TrainingDivergedError(RuntimeError):
    """A loss became NaN or infinite; the message names the epoch, step and image ids."""


def layer_regex(layers):
    """A preset name ('heads', '3+', '4+', '5+', 'all') or a regex -> the regex."""
    return LAYER_PRESETS.get(layers, layers)


def set_trainable(keras_model, regex, verbose=0):
    """Make the layers whose names fully match ``regex`` trainable and freeze the others.

    Recurses into nested models (``rpn_model``: its inner layers are matched by their own
    names, as matterport did). Returns the names of the trainable layers that have weights.
    """
    trainable_names = []
    for layer in keras_model.layers:
        if isinstance(layer, keras.Model):
            inner = set_trainable(layer, regex, verbose)
            layer.trainable = True
            for inner_layer in layer.layers:
                inner_layer.trainable = inner_layer.name in inner
            trainable_names.extend(inner)
            continue
        if not layer.weights:
            continue
        trainable = bool(re.fullmatch(regex, layer.name))
        layer.trainable = trainable
        if isinstance(layer, TimeDistributed):
            layer.layer.trainable = trainable
        if trainable:
            trainable_names.append(layer.name)
            if verbose:
                print(f"  {layer.name:24} ({layer.__class__.__name__})")
    return trainable_names


def weight_decay_loss(variables, weight_decay):
    """matterport's L2 regularisation: sum over weights (not BatchNorm gamma/beta) of
    WEIGHT_DECAY * sum(w^2) / size(w)."""
    terms = [weight_decay * tf.reduce_sum(tf.square(v)) / tf.cast(tf.size(v), tf.float32)
             for v in variables if not re.search(r"(gamma|beta)$", v.path)]
    return tf.add_n(terms) if terms else tf.constant(0.0)


def make_strategy(config):
    """The tf.distribute strategy for ``config.GPU_COUNT``: the default one for 0/1 device,
    MirroredStrategy over the first GPU_COUNT visible GPUs otherwise."""
    if config.GPU_COUNT <= 1:
        return tf.distribute.get_strategy()
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) < config.GPU_COUNT:
        raise ValueError(f"GPU_COUNT is {config.GPU_COUNT} but {len(gpus)} GPU(s) are visible; "
                         "lower GPU_COUNT or expose more GPUs (CUDA_VISIBLE_DEVICES / --gpu)")
    return tf.distribute.MirroredStrategy([g.name for g in gpus[:config.GPU_COUNT]])


def is_chief(strategy):
    """True on the worker that writes checkpoints and logs: always, except under a multi-worker
    strategy (MultiWorkerMirroredStrategy, from TF_CONFIG), where only the ``chief`` task, or
    ``worker`` 0 when the cluster has no chief, writes (the others hold the same weights)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None:
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    if task_type is None or task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return task_type == "worker" and int(task_id or 0) == 0 and not has_chief


MIXED_PRECISION_DTYPES = ("float16", "bfloat16")


def mixed_precision_dtype(config):
    """The compute dtype config.MIXED_PRECISION asks for: None (float32), "float16" (also for
    True) or "bfloat16". Raises ValueError for anything else."""
    value = config.MIXED_PRECISION
    if value is False or value is None:
        return None
    if value is True:
        return "float16"
    if value in MIXED_PRECISION_DTYPES:
        return value
    choices = " or ".join(repr(dtype) for dtype in MIXED_PRECISION_DTYPES)
    raise ValueError(f"MIXED_PRECISION must be False, True, {choices}, got {value!r}")


@contextlib.contextmanager
def dtype_policy(config, mode):
    """Build under Keras' "mixed_float16" or "mixed_bfloat16" policy when training with
    MIXED_PRECISION.

    Convolutions then run in 16 bits (float16: fast on GPUs with tensor cores, slow on CPUs;
    bfloat16: about 1.4x faster than float32 on a CPU with AMX) and keep float32 weights;
    layers doing box arithmetic and losses stay float32 (Float32Layer).
    """
    dtype = mixed_precision_dtype(config)
    if dtype is None or mode != "training":
        yield
        return
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(f"mixed_{dtype}")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


OPTIMIZERS = ("SGD", "ADAM")
LEARNING_RATE_SCHEDULES = ("constant", "cosine")


def make_optimizer(config, learning_rate):
    """The optimizer that ``config.OPTIMIZER`` names ("SGD" or "ADAM"), gradient clipping at
    ``config.GRADIENT_CLIP_NORM``."""
    name = str(getattr(config, "OPTIMIZER", "SGD")).upper()
    if name == "SGD":
        return keras.optimizers.SGD(learning_rate=learning_rate,
                                    momentum=config.LEARNING_MOMENTUM,
                                    clipnorm=config.GRADIENT_CLIP_NORM)
    if name == "ADAM":
        return keras.optimizers.Adam(learning_rate=learning_rate,
                                     beta_1=config.LEARNING_MOMENTUM,
                                     clipnorm=config.GRADIENT_CLIP_NORM)
    raise ValueError(f"Config.OPTIMIZER must be one of {OPTIMIZERS}, got {config.OPTIMIZER!r}")


def check_schedule(schedule):
    """``schedule`` if it is one of LEARNING_RATE_SCHEDULES, else ValueError."""
    if schedule not in LEARNING_RATE_SCHEDULES:
        raise ValueError(f"Config.LEARNING_RATE_SCHEDULE must be one of "
                         f"{LEARNING_RATE_SCHEDULES}, got {schedule!r}")
    return schedule


def scheduled_learning_rate(base_rate, global_step, warmup_steps, total_steps, schedule):
    """The learning rate at 0-based ``global_step``: linear warm-up over ``warmup_steps``,
    then ``schedule``: "constant" (base_rate) or "cosine" (from base_rate at the end of the
    warm-up down to 0 after ``total_steps`` steps)."""
    check_schedule(schedule)
    if global_step < warmup_steps:
        return base_rate * (global_step + 1) / warmup_steps
    if schedule == "constant" or total_steps <= warmup_steps:
        return base_rate
    progress = min(1.0, (global_step - warmup_steps) / (total_steps - warmup_steps))
    return base_rate * 0.5 * (1.0 + math.cos(math.pi * progress))


class Trainer:
    """Runs epochs of a training-mode Keras model built by ``build_training_model``.

    keras_model: the training model (created in ``strategy``'s scope), its trainable layers
    already chosen (set_trainable); config: its Config; strategy: a tf.distribute strategy;
    learning_rate: the base learning rate (warm-up and schedule from the config).
    """

    def __init__(self, keras_model, config, strategy, learning_rate):
        self.keras_model = keras_model
        self.config = config
        self.strategy = strategy
        with strategy.scope():
            self.optimizer = make_optimizer(config, learning_rate)
            if mixed_precision_dtype(config) == "float16":
                # Scales the loss so float16 gradients do not underflow (dynamic scale);
                # bfloat16 has float32's exponent range and needs none.
                self.optimizer = keras.optimizers.LossScaleOptimizer(self.optimizer)
            # Momentum slots are created here, not lazily in the compiled step, which fails
            # under MirroredStrategy. So the trainable layers must be chosen before this.
            self.optimizer.build(keras_model.trainable_variables)
            # Lets Keras callbacks (e.g. ReduceLROnPlateau) reach the optimizer.
            keras_model.optimizer = self.optimizer
        self.learning_rate = float(learning_rate)
        self.warmup_steps = int(getattr(config, "LEARNING_RATE_WARMUP_STEPS", 0) or 0)
        self.schedule = check_schedule(getattr(config, "LEARNING_RATE_SCHEDULE", "constant"))
        self.loss_weights = np.array([config.LOSS_WEIGHTS.get(n, 1.0) for n in LOSS_NAMES],
                                     dtype=np.float32)
        self._train_step = None
        self._eval_step = None

    # -------------------------------------------------------------- compiled steps
    def _losses(self, inputs, training):
        """[5 weighted losses..., weight decay, total] of one replica's batch."""
        outputs = self.keras_model(list(inputs), training=training)
        losses = tf.stack([tf.reduce_mean(o) for o in outputs[-len(LOSS_NAMES):]])
        weighted = losses * self.loss_weights
        decay = weight_decay_loss(self.keras_model.trainable_variables, self.config.WEIGHT_DECAY)
        return tf.concat([weighted, [decay, tf.reduce_sum(weighted) + decay]], axis=0)

    def _make_steps(self):
        model, optimizer, strategy = self.keras_model, self.optimizer, self.strategy
        replicas = strategy.num_replicas_in_sync

        def replica_train(inputs):
            variables = model.trainable_variables
            with tf.GradientTape() as tape:
                values = self._losses(inputs, training=True)
                # Replicas' gradients are summed: scale so the update uses their mean.
                scaled = values[-1] / replicas
                if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
                    scaled = optimizer.scale_loss(scaled)
            grads = tape.gradient(scaled, variables)
            optimizer.apply(grads, variables)
            return values

        def replica_eval(inputs):
            return self._losses(inputs, training=False)

        @tf.function
        def train_step(inputs):
            values = strategy.run(replica_train, args=(inputs,))
            return strategy.reduce(tf.distribute.ReduceOp.MEAN, values, axis=None)

        @tf.function
        def eval_step(inputs):
            values = strategy.run(replica_eval, args=(inputs,))
            return strategy.reduce(tf.distribute.ReduceOp.MEAN, values, axis=None)

        self._train_step, self._eval_step = train_step, eval_step

    # -------------------------------------------------------------- the loop
    def fit(self, train_data, val_data, initial_epoch, epochs, steps_per_epoch, validation_steps,
            checkpoint_path, log_dir, callbacks=None, verbose=1):
        """Train from ``initial_epoch`` (0-based) up to ``epochs`` (exclusive).

        train_data, val_data: tf.data datasets of global batches (inputs tuples).
        checkpoint_path: format string with ``{epoch:04d}``; epoch k (1-based) is saved there
        after it ends, atomically. Under a multi-worker strategy only the chief writes the
        checkpoints and the TensorBoard logs (``is_chief``); every worker trains.
        Returns the history: dict name -> list of epoch means.
        """
        from tqdm import tqdm

        if self._train_step is None:
            self._make_steps()
        names = [*LOSS_NAMES, "weight_decay", "loss"]
        chief = is_chief(self.strategy)
        writer = (tf.summary.create_file_writer(log_dir) if chief
                  else tf.summary.create_noop_writer())
        callback_list = keras.callbacks.CallbackList(callbacks or [], model=self.keras_model,
                                                     epochs=epochs, steps=steps_per_epoch)
        train_iter = iter(self.strategy.experimental_distribute_dataset(train_data))
        val_iter = (iter(self.strategy.experimental_distribute_dataset(val_data))
                    if val_data is not None and validation_steps else None)
        history = {}
        self.keras_model.stop_training = False
        callback_list.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            sums = np.zeros(len(names))
            bar = tqdm(range(steps_per_epoch), desc=f"Epoch {epoch + 1}/{epochs}",
                       disable=not verbose, unit="step", dynamic_ncols=True)
            started = time.perf_counter()
            schedule_epochs = self._schedule_epochs(epochs, callbacks or [])
            for step in bar:
                callback_list.on_train_batch_begin(step)
                self._schedule(epoch * steps_per_epoch + step, schedule_epochs * steps_per_epoch)
                batch = next(train_iter)
                values = self._train_step(batch).numpy()
                self._check_finite(values, names, epoch, step, batch)
                sums += values
                logs = dict(zip(names, (sums / (step + 1)).tolist()))
                bar.set_postfix(loss=f"{logs['loss']:.4f}")
                callback_list.on_train_batch_end(step, logs)
            logs = dict(zip(names, (sums / steps_per_epoch).tolist()))
            logs["seconds_per_step"] = (time.perf_counter() - started) / steps_per_epoch
            if val_iter is not None:
                val_sums = np.zeros(len(names))
                for _ in range(validation_steps):
                    val_sums += self._eval_step(next(val_iter)).numpy()
                logs.update({f"val_{n}": v
                             for n, v in zip(names, (val_sums / validation_steps).tolist())})
            path = checkpoint_path.format(epoch=epoch + 1)
            if chief:
                weights_io.save_weights(path, layers_in_creation_order(self.keras_model))
            with writer.as_default():
                for name, value in logs.items():
                    tf.summary.scalar(name, value, step=epoch + 1)
            writer.flush()
            for name, value in logs.items():
                history.setdefault(name, []).append(value)
            if verbose:
                summary = " ".join(f"{k}={v:.4f}" for k, v in logs.items()
                                   if k in ("loss", "val_loss"))
                saved = f"saved {path}" if chief else "checkpoint left to the chief"
                print(f"Epoch {epoch + 1}/{epochs}: {summary}; {saved}")
            callback_list.on_epoch_end(epoch, logs)
            # Keras' convention: a callback (EarlyStopping, a time limit) asks to stop here.
            if self.keras_model.stop_training:
                break
        callback_list.on_train_end()
        return history

    @staticmethod
    def _schedule_epochs(epochs, callbacks):
        """Where the learning-rate schedule ends (1-based epoch): ``epochs``, or earlier where a
        callback (TimeLimit) predicts that training stops before (``last_epoch_that_fits``)."""
        predicted = [callback.last_epoch_that_fits for callback in callbacks
                     if getattr(callback, "last_epoch_that_fits", None) is not None]
        return min([int(epochs), *predicted])

    def _schedule(self, global_step, total_steps):
        """Set the learning rate for 0-based ``global_step`` of ``total_steps``. With the
        constant schedule this is a no-op once the warm-up is over, so callbacks that change the
        rate later (ReduceLROnPlateau) keep their value."""
        if self.schedule == "constant" and global_step > self.warmup_steps:
            return
        self.optimizer.learning_rate.assign(scheduled_learning_rate(
            self.learning_rate, global_step, self.warmup_steps, total_steps, self.schedule))

    def _check_finite(self, values, names, epoch, step, batch):
        if np.all(np.isfinite(values)):
            return
        bad = [f"{n}={v}" for n, v in zip(names, values) if not math.isfinite(v)]
        metas = self.strategy.experimental_local_results(batch[1])
        image_ids = np.concatenate([np.asarray(m)[:, 0] for m in metas]).astype(int).tolist()
        raise TrainingDivergedError(
            f"non-finite loss at epoch {epoch + 1}, step {step + 1} ({', '.join(bad)}); batch "
            f"image ids {image_ids}: check their annotations, or lower the learning rate")
