// Reverse-mode autodiff. Each op records a GradNode on its output when grad
// is enabled and some input requires grad; backward() walks those nodes in
// reverse topological order (found iteratively: a 26-step unroll through a
// mixer is thousands of nodes deep) and releases the graph as it goes.

import { type GradNode, ShapeError, Tensor, fmt } from "../tensor/tensor.ts";
import { floats, scratch } from "../tensor/pool.ts";

let gradEnabled = true;

/** Runs fn with the tape off: nothing it computes requires grad. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Whether an op with these inputs should record itself. */
export function needsGrad(...inputs: Tensor[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t.requiresGrad) return true;
  return false;
}

/** Attaches a node to `out` when any input requires grad. Returns `out`. */
export function record(out: Tensor, op: string, inputs: Tensor[], backward: (grad: Float32Array) => void): Tensor {
  if (needsGrad(...inputs)) {
    out.requiresGrad = true;
    const node: GradNode = { op, inputs, backward };
    out.node = node;
  }
  return out;
}

/** The gradient buffer of t, created as zeros on first use. Ops add into it. */
export function gradOf(t: Tensor): Float32Array {
  return (t.grad ??= floats(t.size));
}

/**
 * gradOf for a backward that has checked t.grad === null and will write
 * every element before anything reads one: the new buffer is not zeroed.
 */
export function freshGradOf(t: Tensor): Float32Array {
  return (t.grad ??= scratch(t.size));
}

/**
 * t's gradient for a backward that fills it outside JS (the wasm ops): no
 * array when t needs none; otherwise its array, `fresh` when it was just
 * created unzeroed (so the kernel writes it rather than adding to it).
 * Freshness is read before the array exists.
 */
export function gradSlot(t: Tensor): { into: Float32Array | null; fresh: boolean } {
  if (!t.requiresGrad) return { into: null, fresh: false };
  const fresh = t.grad === null;
  return { into: fresh ? freshGradOf(t) : gradOf(t), fresh };
}

/**
 * Adds g into t's gradient. When t has none yet it takes g itself, with no
 * copy: allowed for the upstream gradient a backward callback receives
 * (its output drops it right after the callback), handed to one input only,
 * and not read by the callback afterwards. Every gradient array then has
 * exactly one live owner, so later in-place accumulation is safe.
 */
export function accumulateGrad(t: Tensor, g: Float32Array): void {
  if (t.grad === null) { t.grad = g; return; }
  const d = t.grad;
  for (let i = 0; i < d.length; i++) d[i]! += g[i]!;
}

/**
 * Backpropagates from `root`. With no `grad`, root must hold one element
 * (a loss). Gradients accumulate into leaves' `.grad`; intermediate tensors
 * drop their gradients and nodes afterwards, so the graph can be freed.
 */
export function backward(root: Tensor, grad?: Float32Array | Tensor): void {
  if (!root.requiresGrad) {
    throw new Error(`backward: the tensor of shape ${fmt(root.shape)} does not require grad (no parameter it depends on requires grad, or it was computed under noGrad)`);
  }
  let seed: Float32Array;
  if (grad === undefined) {
    if (root.size !== 1) {
      throw new ShapeError(`backward: called on a tensor of shape ${fmt(root.shape)} without a gradient; only a one-element tensor (a loss) may omit it`);
    }
    seed = Float32Array.of(1);
  } else {
    seed = grad instanceof Tensor ? grad.data : grad;
    if (seed.length !== root.size) {
      throw new ShapeError(`backward: gradient has ${seed.length} elements but the tensor has shape ${fmt(root.shape)} (${root.size} elements)`);
    }
  }

  const order = topoOrder(root);
  const g = gradOf(root);
  for (let i = 0; i < seed.length; i++) g[i]! += seed[i]!;

  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    const node = t.node!;
    if (t.grad) node.backward(t.grad);
    // Intermediate results: drop gradient and node, freeing the graph.
    t.grad = null;
    t.node = null;
  }
}

/** Non-leaf tensors reachable from root, inputs before outputs. */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  if (!root.node) return order;
  const visited = new Set<Tensor>([root]);
  const stack: Array<[Tensor, number]> = [[root, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.node!.inputs;
    if (i < inputs.length) {
      top[1] = i + 1;
      const child = inputs[i]!;
      if (child.node && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}
