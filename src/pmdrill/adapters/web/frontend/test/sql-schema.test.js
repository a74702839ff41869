import assert from "node:assert/strict";
import { test } from "node:test";
import { columnOptions, dialectKey } from "../src/sql-schema.js";

test("pmdrill dialects map to CodeMirror's", () => {
  assert.equal(dialectKey("duckdb"), "postgres");
  assert.equal(dialectKey("postgres"), "postgres");
  assert.equal(dialectKey("MySQL"), "mysql");
  assert.equal(dialectKey("bigquery"), "standard");
  assert.equal(dialectKey("oracle"), "standard");
  assert.equal(dialectKey(undefined), "standard");
});

const TABLES = { learners: ["learner_id", "signup_at"], lessons: ["lesson_id", "learner_id"] };

test("each column once, naming the tables that have it", () => {
  const options = columnOptions(TABLES);
  assert.deepEqual(options.map((o) => o.label), ["learner_id", "signup_at", "lesson_id"]);
  assert.equal(options[0].detail, "learners, lessons");
});

test("columns of tables the query mentions rank first", () => {
  const boosts = Object.fromEntries(columnOptions(TABLES, "SELECT * FROM Lessons").map((o) => [o.label, o.boost]));
  assert.deepEqual(boosts, { learner_id: 1, signup_at: 0, lesson_id: 1 });
});

test("a malformed schema gives no options rather than an error", () => {
  assert.deepEqual(columnOptions({ learners: "learner_id" }), []);
  assert.deepEqual(columnOptions(undefined), []);
});
