// The config-file YAML reader: the subset XuanCe's QMIX configs use, typed
// as PyYAML types it, and every refusal names its line.

import { describe, expect, it } from "vitest";
import { parseYaml, YamlError } from "../../src/train/yaml.ts";

describe("parseYaml", () => {
  it("reads scalars, nested maps, flow and block lists and comments", () => {
    const text = [
      "# a XuanCe-style file",
      'agent: "QMIX"  # the algorithm',
      "rnn:",
      "use_rnn: False",
      "q_hidden_size: [64, ]",
      "learning_rate: 0.001",
      "eps: 1e-5",
      "running_steps: 10_000",
      "name: 'it''s # not a comment'",
      "nested:",
      "  a: 1",
      "  b:",
      "    - 1",
      "    - two",
      "    - k: true",
      "      j: ~",
      "  flow: {x: 1, y: [a, b]}",
      "top_list:",
      "- 3",
      "- -4.5",
      "",
    ].join("\n");
    expect(parseYaml(text)).toEqual({
      agent: "QMIX", rnn: null, use_rnn: false, q_hidden_size: [64], learning_rate: 0.001, eps: 1e-5, running_steps: 10000,
      name: "it's # not a comment",
      nested: { a: 1, b: [1, "two", { k: true, j: null }], flow: { x: 1, y: ["a", "b"] } },
      top_list: [3, -4.5],
    });
  });

  it("types plain scalars as PyYAML does", () => {
    const v = parseYaml("a: yes\nb: off\nc: 0x1F\nd: .inf\ne: 12abc\nf: '5'\ng: -0.5\nh: NULL") as Record<string, unknown>;
    expect(v).toEqual({ a: true, b: false, c: 31, d: Infinity, e: "12abc", f: "5", g: -0.5, h: null });
  });

  it("an empty file is null; a document marker is allowed once", () => {
    expect(parseYaml("# only a comment\n")).toBeNull();
    expect(parseYaml("---\na: 1\n")).toEqual({ a: 1 });
  });

  const bad: Array<[string, number, RegExp]> = [
    ["a: 1\n  b: 2\n", 2, /unexpected indentation/],
    ["a: 1\nb: [1, 2\n", 2, /"]"/],
    ["a: 1\nb: 2\na: 3\n", 3, /"a" appears twice/],
    ['a: "x\n', 1, /unterminated/],
    ["a:\n\tb: 1\n", 2, /tab/],
    ["a: 1\nb: &anchor 2\n", 2, /anchors/],
    ["a: |\n  text\n", 1, /multi-line/],
    ["a: 1\njust words\n", 2, /expected "key: value"/],
    ["a: 1\n---\nb: 2\n", 2, /one document/],
    ["a:\n  - 1\n  b: 2\n", 3, /key of this map|unexpected/],
  ];
  it.each(bad)("refuses %j naming line %i", (text, line, message) => {
    let err: unknown;
    try {
      parseYaml(text, "my_config.yaml");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(YamlError);
    expect((err as YamlError).line).toBe(line);
    expect((err as Error).message).toMatch(new RegExp(`^my_config\\.yaml, line ${line}: `));
    expect((err as Error).message).toMatch(message);
  });
});
