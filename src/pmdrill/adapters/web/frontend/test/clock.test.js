import assert from "node:assert/strict";
import { test } from "node:test";
import { formatClock, remainingSeconds, startMillis } from "../src/clock.js";

test("mm:ss, minutes past 59, and a sign when over", () => {
  assert.equal(formatClock(2700), "45:00");
  assert.equal(formatClock(5), "00:05");
  assert.equal(formatClock(5400), "90:00");
  assert.equal(formatClock(0), "00:00");
  assert.equal(formatClock(-61), "-01:01");
});

test("countdown counts whole seconds from its start and goes negative", () => {
  assert.equal(remainingSeconds(60, 1000, 1000), 60);
  assert.equal(remainingSeconds(60, 1000, 1999), 60);
  assert.equal(remainingSeconds(60, 1000, 2000), 59);
  assert.equal(remainingSeconds(60, 0, 61_000), -1);
  assert.equal(remainingSeconds(60, 5000, 0), 60); // a start in the future has not begun
});

test("data-started-at is used when it parses", () => {
  assert.equal(startMillis("2024-05-01T10:00:00Z", 7), Date.UTC(2024, 4, 1, 10));
  assert.equal(startMillis("yesterday", 7), 7);
  assert.equal(startMillis(undefined, 7), 7);
});
