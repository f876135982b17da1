import assert from "node:assert/strict";
import { escapeXml, formatTick, lineChartSvg, niceTicks } from "./svg.ts";

Deno.test("niceTicks picks round steps that cover the range", () => {
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(3, 97), [20, 40, 60, 80]);
  assert.deepEqual(niceTicks(-0.013, 0.021), [-0.01, 0, 0.01, 0.02]);
  assert.deepEqual(niceTicks(2, 2), [2]);
});

Deno.test("formatTick keeps labels short", () => {
  assert.equal(formatTick(0), "0");
  assert.equal(formatTick(0.30000000000000004), "0.3");
  assert.equal(formatTick(250), "250");
  assert.equal(formatTick(1.5e-5), "1.5e-5");
});

Deno.test("escapeXml escapes markup characters", () => {
  assert.equal(escapeXml(`a<b & "c" 'd'>`), "a&#60;b &#38; &#34;c&#34; &#39;d&#39;&#62;");
});

Deno.test("lineChartSvg draws one polyline per series, scaled into the plot area", () => {
  const svg = lineChartSvg({
    title: "Rewards <stage I>",
    xLabel: "update",
    yLabel: "mean reward",
    width: 640,
    height: 360,
    series: [
      { name: "attempt 1", points: [[0, 0], [10, 1]] },
      { name: "attempt 2", points: [[0, 0.5], [5, NaN], [10, 0.5]] },
    ],
  });
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.endsWith("</svg>"));
  assert.ok(svg.includes("Rewards &#60;stage I&#62;"));
  const polylines = [...svg.matchAll(/<polyline[^>]* points="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(polylines.length, 2);
  // x in [0, 10] maps to [64, 624]; y in [0, 1] maps to [316, 62] (margins 64/16 and 62/44).
  assert.equal(polylines[0], "64,316 624,62");
  // The NaN point is skipped.
  assert.equal(polylines[1], "64,189 624,189");
  assert.ok(svg.includes(">attempt 2</text>"));
});

Deno.test("lineChartSvg wraps a legend that does not fit on one row", () => {
  const names = [
    "stage1 reward_attempt1",
    "stage1 reward_attempt2",
    "stage2 reward_attempt1",
    "stage2 reward_attempt2",
  ];
  const svg = lineChartSvg({
    title: "Rewards",
    xLabel: "update",
    yLabel: "reward",
    series: names.map((name) => ({ name, points: [[0, 0], [1, 1]] as [number, number][] })),
  });
  const rows = new Set([...svg.matchAll(/<text x="[\d.]+" y="(\d+)">stage/g)].map((m) => m[1]));
  assert.deepEqual([...rows], ["38", "52"]);
});

Deno.test("lineChartSvg says so when there is nothing to draw", () => {
  const svg = lineChartSvg({
    title: "KL",
    xLabel: "update",
    yLabel: "KL",
    series: [{ name: "kl", points: [] }],
  });
  assert.ok(svg.includes(">no data</text>"));
  assert.ok(!svg.includes("<polyline"));
});
