// @ts-check
/**
 * Number and time formatting for the dashboard: rates in sensible units, compact large numbers, percentages
 * as the report prints them. Pure functions (no DOM), also tested from Deno (format_test.ts).
 *
 * @module
 */

const MINUS = "\u2212";

/**
 * A number with about three significant digits: `0.123`, `12.3`, `1,235`, `66.7k`, `1.2M`, `1.23e-4`.
 * @param {number | null | undefined} value
 * @returns {string}
 */
export function compact(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "";
  const abs = Math.abs(value);
  const sign = value < 0 ? MINUS : "";
  if (abs === 0) return "0";
  if (abs >= 1e4) {
    const [scale, suffix] = abs >= 1e9 ? [1e9, "G"] : abs >= 1e6 ? [1e6, "M"] : [1e3, "k"];
    const scaled = abs / scale;
    return `${sign}${scaled.toFixed(scaled >= 100 ? 0 : 1)}${suffix}`;
  }
  if (Number.isInteger(value) || abs >= 1000) return `${sign}${Math.round(abs).toLocaleString("en-US")}`;
  if (abs < 1e-3) return `${sign}${abs.toExponential(2)}`;
  return `${sign}${Number(abs.toPrecision(3)).toString()}`;
}

/**
 * Items per second in a readable unit: `66.7k/s`, `12.5/s`, `3.0/min`, `1.2/h`.
 * @param {number | null | undefined} perSecond
 * @returns {string}
 */
export function rate(perSecond) {
  if (perSecond === null || perSecond === undefined || !Number.isFinite(perSecond) || perSecond <= 0) {
    return "";
  }
  if (perSecond >= 1) return `${compact(perSecond)}/s`;
  if (perSecond * 60 >= 1) return `${(perSecond * 60).toFixed(1)}/min`;
  return `${(perSecond * 3600).toFixed(1)}/h`;
}

/**
 * A duration: `0.4s`, `45s`, `3m05s`, `1h02m`.
 * @param {number | null | undefined} ms
 * @returns {string}
 */
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "";
  if (ms < 9950) return `${(ms / 1000).toFixed(1)}s`;
  const sec = Math.round(ms / 1000);
  if (sec >= 3600) {
    return `${Math.floor(sec / 3600)}h${String(Math.floor((sec % 3600) / 60)).padStart(2, "0")}m`;
  }
  if (sec >= 60) return `${Math.floor(sec / 60)}m${String(sec % 60).padStart(2, "0")}s`;
  return `${sec}s`;
}

/**
 * A fraction as a percentage with one decimal (`0.42` → `42.0`); `signed` adds `+` to positive values.
 * @param {number} fraction
 * @param {boolean} [signed]
 * @returns {string}
 */
export function percent(fraction, signed = false) {
  const value = Math.round(fraction * 1000) / 10;
  const text = Math.abs(value).toFixed(1);
  if (value < 0) return `${MINUS}${text}`;
  return signed && value > 0 ? `+${text}` : text;
}

/**
 * A metric value in its unit (see the API's MetricInfo.unit).
 * @param {number | null | undefined} value
 * @param {"fraction" | "number" | "count" | "per_second"} unit
 * @returns {string}
 */
export function metricValue(value, unit) {
  if (value === null || value === undefined) return "";
  if (unit === "per_second") return rate(value);
  if (unit === "fraction") return `${percent(value)}%`;
  return compact(value);
}

/**
 * A date and time, local.
 * @param {number | null | undefined} ms
 * @returns {string}
 */
export function when(ms) {
  return ms ? new Date(ms).toLocaleString() : "";
}
