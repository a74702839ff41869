import assert from "node:assert/strict";
import { test } from "node:test";
import { decimalsOf, formatValue, sliderDecimals } from "../src/format.js";

test("percent values are fractions, as the server's pct filter reads them", () => {
  assert.equal(formatValue(0.125, "percent"), "12.5%");
  assert.equal(formatValue("0.02", "percent", 1), "2.0%");
  assert.equal(formatValue(-0.021, "percent"), "-2.1%");
  assert.equal(formatValue(1, "percent"), "100%");
});

test("usd groups thousands and signs negatives", () => {
  assert.equal(formatValue(1200, "usd", 0), "$1,200");
  assert.equal(formatValue(-1200, "usd"), "-$1,200");
  assert.equal(formatValue(9.5, "usd", 2), "$9.50");
});

test("number is the default and keeps at most two decimals", () => {
  assert.equal(formatValue(1234567.891), "1,234,567.89");
  assert.equal(formatValue("not a number"), "not a number");
});

test("decimals follow the range input's step", () => {
  assert.equal(decimalsOf("0.5"), 1);
  assert.equal(decimalsOf("0.25"), 2);
  assert.equal(decimalsOf("1"), 0);
  assert.equal(decimalsOf("any"), 0);
  assert.equal(decimalsOf(""), 0);
  assert.equal(decimalsOf("1e-3"), 3);
});

test("a percent slider shows two decimals fewer than its step", () => {
  assert.equal(sliderDecimals("0.0005", "percent"), 2);
  assert.equal(sliderDecimals("0.05", "percent"), 0);
  assert.equal(sliderDecimals("0.01", "percent"), 0);
  assert.equal(sliderDecimals("0.5", "usd"), 1);
  assert.equal(formatValue("0.0125", "percent", sliderDecimals("0.0005", "percent")), "1.25%");
});
