// The README as a front door that stays true: its TypeScript snippets run as
// written (the package name pointed at src/index.ts), its length stays within
// 1,200 words (docs/results.md within 2,000), its set-up commands are the ones
// CI runs, and every relative link and image in it and in docs/ resolves to a
// file (and a heading, for links with #anchors into Markdown).

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const DOCS = readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => join("docs", f));

/** Words as a reader counts them: whitespace-separated tokens with a letter or digit (table rules and lone symbols are not words). */
function words(text: string): number {
  return text.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
}

/** The fenced blocks of a language. */
function blocks(text: string, lang: string): string[] {
  return [...text.matchAll(new RegExp("^```" + lang + "\\n([\\s\\S]*?)^```", "gm"))].map((m) => m[1]!);
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

/** Relative link targets and image sources of a Markdown file, outside code blocks. */
function links(text: string): { target: string; image: boolean }[] {
  const prose = text.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
  return [...prose.matchAll(/(!?)\[[^\]]*\]\(([^)\s]+)\)/g)]
    .map((m) => ({ target: m[2]!, image: m[1] === "!" }))
    .filter((l) => !/^[a-z]+:/i.test(l.target));
}

describe("README", () => {
  it("is at most 1,200 words, and docs/results.md at most 2,000", () => {
    expect(words(README)).toBeLessThanOrEqual(1200);
    expect(words(readFileSync(join(ROOT, "docs", "results.md"), "utf8"))).toBeLessThanOrEqual(2000);
  });

  it("gives the two set-up commands, and CI runs its test command", () => {
    const setup = blocks(README, "sh")[0]!;
    expect(setup).toMatch(/^npm ci && npm run qmix -- train --env simple_spread_v3 /m);
    expect(setup).toMatch(/^npm test /m);
    expect(readFileSync(join(ROOT, ".ci", "run"), "utf8")).toMatch(/^npm test$/m);
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.qmix).toBeDefined();
    expect(pkg.scripts.test).toBeDefined();
  });

  it("shows one picture, and it exists", () => {
    const images = links(README).filter((l) => l.image);
    expect(images).toHaveLength(1);
    for (const { target } of images) expect(existsSync(join(ROOT, target)), target).toBe(true);
  });

  it.each(["README.md", ...DOCS])("%s: every relative link and image resolves", (file) => {
    const text = readFileSync(join(ROOT, file), "utf8");
    for (const { target } of links(text)) {
      const [path, anchor] = target.split("#") as [string, string | undefined];
      const abs = path === "" ? join(ROOT, file) : resolve(ROOT, dirname(file), decodeURIComponent(path));
      expect(existsSync(abs), `${file} links to ${target}`).toBe(true);
      if (anchor && abs.endsWith(".md")) {
        const headings = [...readFileSync(abs, "utf8").matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!));
        expect(headings, `${file} links to ${target}`).toContain(anchor);
      }
    }
  });

  it("runs its TypeScript snippets as written", () => {
    const snippets = blocks(README, "ts");
    expect(snippets.length).toBeGreaterThanOrEqual(1);
    const dir = mkdtempSync(join(tmpdir(), "qmix-readme-"));
    try {
      snippets.forEach((code, k) => {
        expect(code).toContain('from "qmix-ts"');
        const file = join(dir, `snippet${k}.ts`);
        writeFileSync(file, code.replaceAll('from "qmix-ts"', `from ${JSON.stringify(join(ROOT, "src", "index.ts"))}`));
        const out = execFileSync(join(ROOT, "node_modules", ".bin", "tsx"), [file], { cwd: ROOT, encoding: "utf8" });
        // The library snippet logs t_env and the greedy test return at each evaluation.
        if (code.includes("test_return_mean")) expect(out).toMatch(/^0 -?\d/m);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
