// The learning-curve SVG: axis range from the data or fixed (with lines
// clipped to the frame), legend placement, escaped labels.

import { describe, expect, it } from "vitest";
import { curveSvg } from "../../src/train/curve.ts";

const series = [
  { label: "a <b>", points: [[0, -40], [10, -20], [20, -12]] as Array<[number, number]> },
  { label: "c", points: [[0, -30], [20, -60]] as Array<[number, number]> },
];

describe("curveSvg", () => {
  it("spans the data by default, with the legend top left and labels escaped", () => {
    const svg = curveSvg(series, { title: "t" });
    expect(svg).toContain(">-60.0<");
    expect(svg).toContain(">-12.0<");
    expect(svg).toContain("a &#60;b&#62;");
    expect(svg).not.toContain('text-anchor="end" fill=');
  });

  it("takes a fixed y range, clips the lines to the frame and can put the legend bottom right", () => {
    const svg = curveSvg(series, { yMin: -36, yMax: -10, legend: "bottom-right" });
    expect(svg).toContain(">-36.0<");
    expect(svg).toContain(">-10.0<");
    expect(svg).not.toContain(">-60.0<");
    expect(svg).toMatch(/<clipPath id="plot">/);
    expect(svg.match(/clip-path="url\(#plot\)"/g)).toHaveLength(2);
    expect(svg.match(/text-anchor="end" fill=/g)).toHaveLength(2);
  });
});
