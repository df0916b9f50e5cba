"""Average the weights of fine-tuned models of one architecture (a "model soup", Wortsman et al. 2022).

``python -m openecg.stage2.soup --models runs/a/final runs/b/final --out runs/soup/final``

Models fine-tuned from a common starting point tend to lie in one basin of the loss, where their average
keeps what each learnt; the result is an ordinary ``save_pretrained`` folder, to export with
:mod:`.export`. Floating-point parameters and buffers are averaged; integer buffers (BatchNorm's batch
counters) must agree and are kept.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import torch

from .modeling_openecg import OpenECGModel

__all__ = ["average_weights"]


def average_weights(models: Sequence[OpenECGModel]) -> OpenECGModel:
    """A copy of ``models[0]`` whose floating-point weights are the mean of the models' weights.

    Raises
    ------
    ValueError
        With fewer than two models, or when their architectures (config) or integer buffers differ.
    """
    if len(models) < 2:
        raise ValueError(f"got {len(models)} model(s); a soup averages two or more")
    geometry = models[0].config.to_dict()
    keys = ("fs", "window", "stem_channels", "d_model", "n_layers", "n_heads", "d_ff", "token_pool")
    for m in models[1:]:
        differ = {k: (geometry[k], m.config.to_dict()[k]) for k in keys if geometry[k] != m.config.to_dict()[k]}
        if differ:
            raise ValueError(f"models differ in {differ}; only models of one architecture can be averaged")
    states = [m.state_dict() for m in models]
    averaged = {}
    for name, first in states[0].items():
        if first.is_floating_point():
            averaged[name] = torch.stack([s[name] for s in states]).mean(dim=0)
        elif any(not torch.equal(s[name], first) for s in states[1:]):
            raise ValueError(f"integer buffer {name!r} differs between the models; they were not fine-tuned alike")
        else:
            averaged[name] = first.clone()
    soup = OpenECGModel(models[0].config)
    soup.load_state_dict(averaged)
    return soup.eval()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", required=True, help="save_pretrained folders of one architecture")
    parser.add_argument("--out", required=True, help="folder for the averaged model")
    args = parser.parse_args(argv)
    soup = average_weights([OpenECGModel.from_pretrained(path).eval() for path in args.models])
    soup.config.souped_from = list(args.models)
    soup.save_pretrained(args.out)
    print(f"averaged {len(args.models)} models into {args.out}")


if __name__ == "__main__":
    main()
