"""``OpenECGConfig``: the Hugging Face config of the multi-task wave/beat/rhythm model (registered with
``AutoConfig`` as model type ``"openecg"``), and ``TrainingConfig``: the typed, validated training settings.

The config records everything needed to use the model without reading its training code: the sample rate,
the window, how leads are handled, the input units and normalisation, the class tables of every head, the
training data and the git commit the weights came from. It round-trips through JSON
(``save_pretrained`` / ``from_pretrained``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from transformers import AutoConfig, PretrainedConfig

from ..tokenizer import vocab

__all__ = ["OpenECGConfig", "TrainingConfig", "SYNTHETIC_DATASETS"]

SYNTHETIC_DATASETS: tuple[str, ...] = ("synth_af",)
"""Training sources built from the real databases rather than read (:mod:`openecg.stage2.synth_af`)."""


class OpenECGConfig(PretrainedConfig):
    """Settings of :class:`openecg.stage2.OpenECGModel`.

    Parameters
    ----------
    fs : float
        Model sample rate in Hz; inputs are resampled to it.
    window : int
        Samples per window at ``fs`` (2500 = 10 s).
    stem_channels : list of int
        Channels of the stem levels: the first works at the full rate, each next one halves the time axis.
    d_model, n_layers, n_heads, d_ff : int
        Transformer encoder width, depth, attention heads and feed-forward width.
    dropout : float
        Dropout inside the encoder during training.
    token_pool : int
        Encoder frames averaged into one transformer token (1: every frame is a token). With 2, the
        transformer attends over 79 tokens of 128 ms instead of 157 of 64 ms (the last frame of an odd count
        is a token alone), and each token's output is repeated back to its frames; the decoder still reads
        every stem level at its own rate. Same parameters for any value, so a model can be fine-tuned from
        one with another. About a third less compute per window at 2.
    """

    model_type = "openecg"

    def __init__(
        self,
        *,
        fs: float = 250.0,
        window: int = 2500,
        stem_channels: list[int] | None = None,
        d_model: int = 64,
        n_layers: int = 4,
        n_heads: int = 4,
        d_ff: int = 192,
        dropout: float = 0.1,
        token_pool: int = 1,
        lead_handling: str = "single lead per pass; leads fused after inference",
        units: str = "mV",
        normalisation: str = "per window: minus median, divided by (p99 - p1) clipped to [0.25, 10] mV",
        training_data: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
        git_commit: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.fs = float(fs)
        self.window = int(window)
        self.stem_channels = list(stem_channels or [16, 32, 48, 64, 64])
        self.d_model = int(d_model)
        self.n_layers = int(n_layers)
        self.n_heads = int(n_heads)
        self.d_ff = int(d_ff)
        self.dropout = float(dropout)
        self.token_pool = int(token_pool)
        self.lead_handling = lead_handling
        self.units = units
        self.normalisation = normalisation
        self.class_tables = {layer: [e.name for e in table] for layer, table in
                             zip(vocab.LAYERS, (vocab.WAVE_CLASSES, vocab.BEAT_CLASSES, vocab.RHYTHM_CLASSES))}
        self.vocab_version = vocab.VOCAB_VERSION
        self.training_data = training_data or {}
        self.metrics = metrics or {}
        self.git_commit = git_commit
        kwargs.pop("class_tables", None)
        kwargs.pop("vocab_version", None)
        super().__init__(**kwargs)
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} must be divisible by n_heads={self.n_heads}")
        if self.token_pool < 1:
            raise ValueError(f"token_pool={token_pool} must be a positive integer (encoder frames per token)")
        if self.window % 4:
            raise ValueError(f"window={self.window} must be a multiple of 4 (the decoder's two exact halvings)")

    @property
    def frame_stride(self) -> int:
        """Samples per encoder frame (each stem level after the first halves the rate)."""
        return 2 ** (len(self.stem_channels) - 1)

    @property
    def n_frames(self) -> int:
        """Encoder frames per window: the window halved once per stem level, rounding up each time."""
        n = self.window
        for _ in self.stem_channels[1:]:
            n = -(-n // 2)
        return n

    @property
    def n_classes(self) -> dict[str, int]:
        """Number of classes of each head, from the vocabulary tables."""
        return {layer: len(names) for layer, names in self.class_tables.items()}


AutoConfig.register(OpenECGConfig.model_type, OpenECGConfig)


class TrainingConfig(BaseModel):
    """A training run's settings (``configs/*.json``), checked on load: unknown keys, unknown databases,
    non-positive sizes and rates, a warm-up as long as the run, or a model config that
    :class:`OpenECGConfig` refuses raise ``pydantic.ValidationError`` naming the field.

    ``datasets`` maps database names (:data:`openecg.data.DATASETS`) to their share of each batch; the name
    ``synth_af`` adds recordings synthesised from MIT-BIH and SVDB records of the same split
    (:func:`openecg.stage2.synth_af.synth_tracks`, ``synth_per_record`` of each kind per record);
    ``init_from`` is a ``save_pretrained`` folder to fine-tune (its architecture must equal ``model``, except
    ``token_pool``, which adds no parameters);
    ``freeze_batchnorm`` keeps BatchNorm statistics fixed (needed for weights recovered from int8 files).

    Distillation into a shallower or deeper model: ``init_layers`` lists, per encoder layer of ``model``, the
    ``init_from`` layer it starts from, or ``None`` for a new layer that starts as the identity (everything
    else is copied; only ``n_layers`` may differ), and
    ``distill_from`` names a teacher whose softened outputs every head is also trained to match (KL
    divergence over every sample, labelled or not, weighted by ``distill_weight``), except in windows drawn
    from the databases listed in ``distill_exclude`` (where the teacher is known to be wrong, such as
    ``synth_af``'s AF for a teacher that never saw it). With ``distill_fused_leads`` K > 0 the teacher's
    target is its class probabilities averaged over the window's own lead (unaugmented) and up to K - 1 other
    leads of the same record at the same instants, as the stream fuses a recording's leads: a single-lead
    student learns what the record's other leads show. The teacher sees those leads without augmentation,
    also where the student's window was made noisy or unreadable, unless ``distill_fused_own_lead`` is
    ``"augmented"``: then its row of the window's own lead is the student's window as augmented (the other
    leads stay clean). ``distill_fused_heads`` names the heads whose target is fused; the others are
    distilled from the teacher run on the student's own window.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    seed: int
    model: dict[str, Any]
    datasets: dict[str, float]
    batch_size: int = Field(gt=0)
    steps: int = Field(gt=0)
    eval_every: int = Field(gt=0)
    lr: float = Field(gt=0)
    weight_decay: float = Field(ge=0)
    warmup_steps: int = Field(ge=0)
    qrs_presence_weight: float = Field(ge=0)
    beat_class_weights: list[float]
    val_windows_per_track: int = Field(gt=0)
    init_from: str | None = None
    freeze_batchnorm: bool = False
    init_layers: list[int | None] | None = None
    distill_from: str | None = None
    distill_weight: float = Field(default=1.0, ge=0)
    distill_exclude: list[str] = Field(default_factory=list)
    distill_fused_leads: int = Field(default=0, ge=0)
    distill_fused_heads: list[Literal["wave", "beat", "rhythm"]] = Field(
        default_factory=lambda: ["wave", "beat", "rhythm"], min_length=1)
    distill_fused_own_lead: Literal["clean", "augmented"] = "clean"
    synth_per_record: int = Field(default=2, gt=0)

    @field_validator("datasets")
    @classmethod
    def _known_databases(cls, value: dict[str, float]) -> dict[str, float]:
        from ..data import DATASETS

        unknown = sorted(set(value) - set(DATASETS) - set(SYNTHETIC_DATASETS))
        if unknown or not value or any(w < 0 for w in value.values()) or sum(value.values()) <= 0:
            raise ValueError(f"datasets={value}: need known names ({', '.join([*DATASETS, *SYNTHETIC_DATASETS])}) "
                             "with shares >= 0, not all 0")
        return value

    @model_validator(mode="after")
    def _distill_exclude_names_datasets(self) -> TrainingConfig:
        stray = sorted(set(self.distill_exclude) - set(self.datasets))
        if stray:
            raise ValueError(f"distill_exclude={self.distill_exclude}: {stray} not in datasets {sorted(self.datasets)}")
        return self

    @field_validator("beat_class_weights")
    @classmethod
    def _one_weight_per_beat_class(cls, value: list[float]) -> list[float]:
        if len(value) != len(vocab.BEAT_CLASSES) or min(value) <= 0:
            raise ValueError(f"beat_class_weights={value}: need {len(vocab.BEAT_CLASSES)} positive weights, one per beat class")
        return value

    @field_validator("model")
    @classmethod
    def _valid_model(cls, value: dict[str, Any]) -> dict[str, Any]:
        OpenECGConfig(**value)  # raises ValueError on a bad geometry
        return value

    @model_validator(mode="after")
    def _fused_teacher_settings_need_a_fused_teacher(self) -> TrainingConfig:
        changed = set(self.distill_fused_heads) != {"wave", "beat", "rhythm"} or self.distill_fused_own_lead != "clean"
        if changed and not (self.distill_from and self.distill_fused_leads > 0):
            raise ValueError("distill_fused_heads / distill_fused_own_lead shape a fused-lead teacher: set "
                             "distill_from and distill_fused_leads > 0, or leave them at their defaults")
        return self

    @model_validator(mode="after")
    def _warmup_inside_the_run(self) -> TrainingConfig:
        if self.warmup_steps >= self.steps:
            raise ValueError(f"warmup_steps={self.warmup_steps} must be smaller than steps={self.steps}")
        return self

    @model_validator(mode="after")
    def _one_source_layer_per_layer(self) -> TrainingConfig:
        if self.init_layers is not None:
            n_layers = self.model.get("n_layers")
            sources = [i for i in self.init_layers if i is not None]
            if self.init_from is None or len(self.init_layers) != n_layers or min(sources, default=0) < 0:
                raise ValueError(f"init_layers={self.init_layers}: needs init_from and, per layer of the model "
                                 f"(n_layers={n_layers}), one source layer (>= 0) or null for a new identity layer")
        return self

    @classmethod
    def from_json(cls, path: str | Path) -> TrainingConfig:
        """Load and validate a JSON training config."""
        return cls.model_validate(json.loads(Path(path).read_text()))
