// The module base: named parameters and submodules, with dotted names as in
// PyTorch and pymarl (`fc1.weight`, `hyper_w_1.0.weight`). All state a
// module has is in stateDict(), so save, load, copy-to-target and weight
// exchange with PyTorch are one mechanism.

import { Tensor, fmt, sameShape } from "../tensor/tensor.ts";

export class StateDictError extends Error {
  override name = "StateDictError";
}

export type StateDict = Map<string, Tensor>;

/** Anything with a shape and values: a Tensor, a decoded safetensors entry, JSON. */
export interface TensorLike {
  shape: readonly number[];
  data: ArrayLike<number>;
}

export abstract class Module {
  private readonly params = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  /** Registers a parameter under `name` and marks it as requiring grad. */
  protected param(name: string, t: Tensor): Tensor {
    t.requiresGrad = true;
    this.params.set(name, t);
    return t;
  }

  /** Registers a submodule; its parameters appear as `name.<param>`. */
  protected child<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  namedParameters(prefix = ""): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [n, t] of this.params) out.push([prefix + n, t]);
    for (const [n, m] of this.children) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  numParameters(): number {
    return this.parameters().reduce((s, t) => s + t.size, 0);
  }

  zeroGrad(): void {
    for (const t of this.parameters()) t.grad = null;
  }

  /** The live parameter tensors by name (not copies). */
  stateDict(prefix = ""): StateDict {
    return new Map(this.namedParameters(prefix));
  }

  /**
   * Copies values in by name. Every name and shape is checked before
   * anything is written, so a bad dict leaves the module untouched.
   * Non-strict loading ignores extra names but still needs every parameter.
   */
  loadStateDict(sd: Map<string, TensorLike> | Record<string, TensorLike>, opts: { strict?: boolean; prefix?: string } = {}): void {
    const strict = opts.strict ?? true, prefix = opts.prefix ?? "";
    const entries = sd instanceof Map ? sd : new Map(Object.entries(sd));
    const own = this.namedParameters();
    const problems: string[] = [];
    for (const [name, t] of own) {
      const src = entries.get(prefix + name);
      if (!src) problems.push(`missing "${prefix + name}" (expected shape ${fmt(t.shape)})`);
      else if (!sameShape(src.shape, t.shape)) problems.push(`"${prefix + name}" has shape ${fmt(src.shape)}, expected ${fmt(t.shape)}`);
      else if (src.data.length !== t.size) problems.push(`"${prefix + name}" has ${src.data.length} values, expected ${t.size}`);
    }
    if (strict) {
      const names = new Set(own.map(([n]) => prefix + n));
      for (const k of entries.keys()) if (k.startsWith(prefix) && !names.has(k)) problems.push(`unexpected "${k}"`);
    }
    if (problems.length > 0) {
      throw new StateDictError(`loadStateDict(${this.constructor.name}): ${problems.join("; ")}`);
    }
    for (const [name, t] of own) t.data.set(entries.get(prefix + name)!.data);
  }

  /** Copies every parameter value from a module of the same structure (target networks). */
  copyFrom(other: Module): void {
    this.loadStateDict(other.stateDict());
  }

  /** A deep copy with fresh parameter storage and no gradients. */
  deepCopy(): this {
    return deepCopyModule(this, new Map()) as this;
  }
}

function deepCopyModule(m: Module, seen: Map<object, unknown>): Module {
  const copy = Object.create(Object.getPrototypeOf(m)) as Record<string, unknown>;
  seen.set(m, copy);
  for (const [key, value] of Object.entries(m)) copy[key] = copyValue(value, seen);
  return copy as unknown as Module;
}

function copyValue(v: unknown, seen: Map<object, unknown>): unknown {
  if (v === null || typeof v !== "object") return v;
  if (seen.has(v)) return seen.get(v);
  if (v instanceof Tensor) {
    const t = v.clone();
    t.requiresGrad = v.requiresGrad;
    seen.set(v, t);
    return t;
  }
  if (v instanceof Module) return deepCopyModule(v, seen);
  if (v instanceof Map) {
    const out = new Map();
    seen.set(v, out);
    for (const [k, x] of v) out.set(k, copyValue(x, seen));
    return out;
  }
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    seen.set(v, out);
    for (const x of v) out.push(copyValue(x, seen));
    return out;
  }
  return v; // configs, generators and other plain values are shared
}
