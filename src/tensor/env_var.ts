// An environment variable where the runtime has one (Node, Bun, Deno with
// --allow-env), else "": the portable core reads its switches (QMIX_BACKEND,
// QMIX_WASM_FMA) through this and never names a Node built-in.
export function envVar(key: string): string {
  try {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    return env?.[key] ?? "";
  } catch {
    return ""; // Deno without --allow-env throws on access: treat as unset.
  }
}
