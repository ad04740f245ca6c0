// Layers with PyTorch's parameter names, shapes and default init.

import { elu, relu } from "../autograd/elementwise.ts";
import { zeros } from "../tensor/create.ts";
import { Rng } from "../tensor/random.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { gruCell, linear, linearRelu } from "./functional.ts";
import { torchDefaultBound, uniformInit } from "./init.ts";
import { Module } from "./module.ts";

export interface Layer extends Module {
  forward(x: Tensor): Tensor;
}

/** y = x Wᵀ + b; weight [out, in], bias [out]. */
export class Linear extends Module implements Layer {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, rng: Rng = new Rng(0), opts: { bias?: boolean } = {}) {
    super();
    checkSize("Linear", "inFeatures", inFeatures);
    checkSize("Linear", "outFeatures", outFeatures);
    const bound = torchDefaultBound(inFeatures);
    this.weight = this.param("weight", uniformInit(zeros([outFeatures, inFeatures]), bound, rng));
    this.bias = opts.bias === false ? null : this.param("bias", uniformInit(zeros([outFeatures]), bound, rng));
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  /** relu(forward(x)) as one fused op (functional.ts linearRelu). */
  forwardRelu(x: Tensor): Tensor {
    return linearRelu(x, this.weight, this.bias);
  }
}

/** PyTorch's GRUCell: gates r, z, n stacked in that order in the [3H, ·] weights. */
export class GRUCell extends Module {
  readonly weight_ih: Tensor;
  readonly weight_hh: Tensor;
  readonly bias_ih: Tensor;
  readonly bias_hh: Tensor;

  constructor(readonly inputSize: number, readonly hiddenSize: number, rng: Rng = new Rng(0)) {
    super();
    checkSize("GRUCell", "inputSize", inputSize);
    checkSize("GRUCell", "hiddenSize", hiddenSize);
    const b = torchDefaultBound(hiddenSize), H3 = 3 * hiddenSize;
    this.weight_ih = this.param("weight_ih", uniformInit(zeros([H3, inputSize]), b, rng));
    this.weight_hh = this.param("weight_hh", uniformInit(zeros([H3, hiddenSize]), b, rng));
    this.bias_ih = this.param("bias_ih", uniformInit(zeros([H3]), b, rng));
    this.bias_hh = this.param("bias_hh", uniformInit(zeros([H3]), b, rng));
  }

  forward(x: Tensor, h: Tensor): Tensor {
    return gruCell(x, h, this.weight_ih, this.weight_hh, this.bias_ih, this.bias_hh);
  }
}

export class ReLU extends Module implements Layer {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class ELU extends Module implements Layer {
  constructor(readonly alpha = 1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }
}

/** Layers applied in order, named "0", "1", … as torch.nn.Sequential. */
export class Sequential extends Module implements Layer {
  readonly layers: Layer[];

  constructor(...layers: Layer[]) {
    super();
    this.layers = layers;
    layers.forEach((l, i) => this.child(String(i), l));
  }

  /** A Linear followed by a ReLU runs as one fused op; the result is the same. */
  forward(x: Tensor): Tensor {
    let y = x;
    const ls = this.layers;
    for (let i = 0; i < ls.length; i++) {
      const l = ls[i]!;
      if (l instanceof Linear && ls[i + 1] instanceof ReLU) { y = l.forwardRelu(y); i++; }
      else y = l.forward(y);
    }
    return y;
  }
}

function checkSize(layer: string, key: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${layer}: ${key} must be a positive integer, got ${v}`);
}
