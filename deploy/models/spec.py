"""Model descriptions of the zoo: one frozen dataclass per network, and the zoo itself.

The three networks of the paper (Wiese et al., "Toward Attention-based TinyML", D&T 2025; see
reference/ita.md section 1.4 for what is public about them) plus a `tiny` configuration for tests
and demos. Dimensions follow the public model definitions; the paper's own sequence lengths are
not public, so every model defaults to 128 tokens.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

ITA_TILE = 64
"""ITA works on 64 x 64 tiles: S, E, P and F must be multiples of 64 (reference/ita.md 2.4)."""

NORMS = ("layernorm", "nonorm")
ACTIVATIONS = ("gelu", "relu")
ARCHITECTURES = ("pre_ln", "mobilebert")
ATTENTION_INPUTS = ("block", "shared_qk")


def padded_length(seq: int, multiple: int = ITA_TILE) -> int:
    """`seq` rounded up to a multiple of ITA's tile size (64)."""
    if seq < 1:
        raise ValueError(f"sequence length {seq} must be positive")
    return -(-seq // multiple) * multiple


@dataclass(frozen=True)
class ModelSpec:
    """One integer transformer encoder of the zoo.

    - `hidden`: width of the residual stream between layers (E); the graph input and output are
      [1, S, hidden] int8.
    - `bottleneck`: MobileBERT's intra-block width (attention and FFNs run at this width and
      linears map hidden <-> bottleneck around them); None for the plain pre-LN encoders.
    - `heads` x `head_dim`: attention width (H*P); it equals the block width in all zoo models.
    - `ffn`: intermediate size of each FFN; `ffn_stack` FFNs per layer (MobileBERT stacks 4).
    - `norm`: "layernorm" (iLayerNorm, pre-LN encoder) or "nonorm" (iNoNorm, MobileBERT post-norm).
    - `activation`: "gelu" (RequantShift -> iGELU -> RequantShift) or "relu" (an unsigned
      RequantShift, QuantLib's integer ReLU).
    - `architecture`: "pre_ln" (x += attn(LN(x)); x += ffn(LN(x)); final LN) or "mobilebert"
      (bottleneck-in, attention, FFN stack, bottleneck-out, each residual followed by NoNorm).
    - `attention_input` (MobileBERT only): "block" feeds Q, K and V from the bottlenecked layer input
      (K and V from one tensor, as ITA's attention job needs); "shared_qk" is the released
      google/mobilebert-uncased configuration (key_query_shared_bottleneck): Q and K from a second
      hidden->bottleneck linear + NoNorm, V projected from the 512-wide hidden state.
    - `key_bias`: Whisper's k_proj has no bias.
    - `seq`: default number of tokens (before padding to a multiple of 64).
    - `native_seq`: the sequence length of the original model's usual input, for reference only.
    """

    name: str
    layers: int
    hidden: int
    heads: int
    head_dim: int
    ffn: int
    seq: int = 128
    norm: str = "layernorm"
    activation: str = "gelu"
    architecture: str = "pre_ln"
    bottleneck: int | None = None
    ffn_stack: int = 1
    attention_input: str = "block"
    key_bias: bool = True
    final_norm: bool = True
    native_seq: int | None = None
    description: str = ""

    def __post_init__(self):
        for field, allowed in (
            ("norm", NORMS),
            ("activation", ACTIVATIONS),
            ("architecture", ARCHITECTURES),
            ("attention_input", ATTENTION_INPUTS),
        ):
            if getattr(self, field) not in allowed:
                raise ValueError(f"{self.name}: {field} must be one of {allowed}, got {getattr(self, field)!r}")
        for field in ("layers", "hidden", "heads", "head_dim", "ffn", "seq", "ffn_stack"):
            if getattr(self, field) < 1:
                raise ValueError(f"{self.name}: {field} must be positive")
        if self.architecture == "mobilebert" and not self.bottleneck:
            raise ValueError(f"{self.name}: the mobilebert architecture needs a bottleneck width")
        if self.architecture == "pre_ln" and (self.bottleneck or self.attention_input != "block"):
            raise ValueError(f"{self.name}: bottleneck/attention_input apply to the mobilebert architecture only")
        if self.attention_dim != self.block_width:
            raise ValueError(f"{self.name}: heads*head_dim = {self.attention_dim} != block width {self.block_width}")

    @property
    def attention_dim(self) -> int:
        """H * P."""
        return self.heads * self.head_dim

    @property
    def block_width(self) -> int:
        """Width the attention and FFNs run at: the bottleneck for MobileBERT, else `hidden`."""
        return self.bottleneck or self.hidden

    def padded_seq(self, seq: int | None = None) -> int:
        """Tokens in the graph: `seq` (default `self.seq`) rounded up to a multiple of 64."""
        return padded_length(self.seq if seq is None else seq)

    def replace(self, **changes) -> ModelSpec:
        """A copy with some fields changed, e.g. `spec.replace(layers=1, seq=64)`."""
        return dataclasses.replace(self, **changes)


ZOO: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="tiny",
            layers=2,
            hidden=64,
            heads=2,
            head_dim=32,
            ffn=128,
            seq=64,
            description="Small pre-LN encoder (2 layers, width 64, 2 heads, FFN 128, GELU, LayerNorm) "
            "for tests and demos; needs no download.",
        ),
        ModelSpec(
            name="mobilebert",
            layers=24,
            hidden=512,
            heads=4,
            head_dim=32,
            ffn=512,
            norm="nonorm",
            activation="relu",
            architecture="mobilebert",
            bottleneck=128,
            ffn_stack=4,
            attention_input="block",
            final_norm=False,
            native_seq=128,
            description="MobileBERT (24 layers, hidden 512, intra-block bottleneck 128, 4 heads of 32, "
            "4 stacked FFNs of 512, ReLU, NoNorm). Q, K and V are projected from the bottlenecked "
            "128-wide layer input (attention on 128, K = V input as ITA requires).",
        ),
        ModelSpec(
            name="mobilebert_hf",
            layers=24,
            hidden=512,
            heads=4,
            head_dim=32,
            ffn=512,
            norm="nonorm",
            activation="relu",
            architecture="mobilebert",
            bottleneck=128,
            ffn_stack=4,
            attention_input="shared_qk",
            final_norm=False,
            native_seq=128,
            description="MobileBERT as released (google/mobilebert-uncased: key_query_shared_bottleneck): "
            "Q and K from a shared 512->128 bottleneck, V from the 512-wide hidden state.",
        ),
        ModelSpec(
            name="dinov2_vits14",
            layers=12,
            hidden=384,
            heads=6,
            head_dim=64,
            ffn=1536,
            native_seq=257,
            description="DINOv2 ViT-S/14 encoder (12 layers, width 384, 6 heads of 64, FFN 1536, GELU, "
            "pre-LN); 224x224 images give 256 patches + CLS = 257 tokens natively. LayerScale is "
            "folded into the branch requantization.",
        ),
        ModelSpec(
            name="whisper_tiny_encoder",
            layers=4,
            hidden=384,
            heads=6,
            head_dim=64,
            ffn=1536,
            key_bias=False,
            native_seq=1500,
            description="Whisper-tiny encoder (4 layers, width 384, 6 heads of 64, FFN 1536, GELU, "
            "pre-LN, k_proj without bias); 30 s of audio give 1500 frames natively (1536 padded).",
        ),
    )
}
