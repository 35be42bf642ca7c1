"""Export to the Hugging Face Llama checkpoint layout: config.json + model.safetensors (+ the
SentencePiece model), loadable by `transformers.LlamaForCausalLM.from_pretrained` and hence by
lm-evaluation-harness. Parameter names already match Llama's; only the `model.` prefix is added."""

from __future__ import annotations

import json
import os
import shutil

import torch

from tokens.tokenizer import BOS_ID, EOS_ID, PAD_ID
from train.model import Transformer


def hf_config(model: Transformer) -> dict:
    c = model.cfg
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": c.vocab_size,
        "hidden_size": c.d_model,
        "intermediate_size": c.hidden,
        "num_hidden_layers": c.n_layers,
        "num_attention_heads": c.n_heads,
        "num_key_value_heads": c.n_kv_heads,
        "head_dim": c.head_dim,
        "hidden_act": "silu",
        "max_position_embeddings": c.max_seq_len,
        "rms_norm_eps": c.norm_eps,
        "tie_word_embeddings": c.tie_embeddings,
        # transformers < 5 reads rope_theta, >= 5 reads rope_parameters
        "rope_theta": c.rope_theta,
        "rope_parameters": {"rope_type": "default", "rope_theta": c.rope_theta},
        "attention_bias": False,
        "mlp_bias": False,
        "initializer_range": c.init_std,
        "torch_dtype": "float32",
        "bos_token_id": BOS_ID,
        "eos_token_id": EOS_ID,
        "pad_token_id": PAD_ID,
    }


def hf_state_dict(model: Transformer) -> dict[str, torch.Tensor]:
    out = {}
    for name, t in model.state_dict().items():
        if name == "lm_head.weight" and model.cfg.tie_embeddings:
            continue  # tied: transformers rebuilds it from the embedding
        out[name if name.startswith("lm_head.") else "model." + name] = t.detach().contiguous().clone()
    return out


def export_hf(model: Transformer, out_dir: str, tokenizer_model: str | None = None) -> str:
    from safetensors.torch import save_file

    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(hf_config(model), f, indent=2)
    save_file(hf_state_dict(model), os.path.join(out_dir, "model.safetensors"), metadata={"format": "pt"})
    if tokenizer_model:
        shutil.copy(tokenizer_model, os.path.join(out_dir, "tokenizer.model"))
    return out_dir
