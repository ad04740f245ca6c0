// Parameter initialisation. PyTorch's default for Linear (kaiming_uniform
// with a = √5) and GRUCell both come to U(−1/√fan_in, 1/√fan_in); GRUCell
// uses fan_in = hidden size for all four tensors.

import type { Rng } from "../tensor/random.ts";
import type { Tensor } from "../tensor/tensor.ts";

export function uniformInit(t: Tensor, bound: number, rng: Rng): Tensor {
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(-bound, bound);
  return t;
}

export function torchDefaultBound(fanIn: number): number {
  return fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
}
