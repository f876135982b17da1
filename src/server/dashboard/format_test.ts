import assert from "node:assert/strict";
import { compact, duration, metricValue, percent, rate } from "./format.js";

Deno.test("numbers, rates and durations read in sensible units and precision", () => {
  assert.deepEqual([66666.67, 1234.5, 12.345, 0.123456, 0.00012345, -2.5, 7, 0, 2.5e6].map(compact), [
    "66.7k",
    "1,235",
    "12.3",
    "0.123",
    "1.23e-4",
    "\u22122.5",
    "7",
    "0",
    "2.5M",
  ]);
  assert.deepEqual([66666.67, 12.345, 1, 0.25, 0.001, 0, null].map(rate), [
    "66.7k/s",
    "12.3/s",
    "1/s",
    "15.0/min",
    "3.6/h",
    "",
    "",
  ]);
  assert.deepEqual([420, 4_000, 45_000, 185_000, 3_720_000, null].map(duration), [
    "0.4s",
    "4.0s",
    "45s",
    "3m05s",
    "1h02m",
    "",
  ]);
});

Deno.test("fractions print as the report's percentages", () => {
  assert.deepEqual([percent(0.42), percent(-0.095), percent(0.03, true), percent(0, true)], [
    "42.0",
    "\u22129.5",
    "+3.0",
    "0.0",
  ]);
  assert.deepEqual(
    [metricValue(0.5, "fraction"), metricValue(1370.4, "per_second"), metricValue(0.0123, "number")],
    ["50.0%", "1,370/s", "0.0123"],
  );
});
