// better-sqlite3, in the version this Node.js can run. Keyslip supports Node.js 22 and 24, where
// better-sqlite3 13 loads a prebuilt N-API binary (12 aborts at start on Node 24). Version 13
// crashes on Node 20, which some development machines still run, so there the optional
// `better-sqlite3-node20` (better-sqlite3 12, built at install) is loaded instead. Both have the
// same API; the types are 13's.
import type BetterSqlite3 from 'better-sqlite3';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const nodeMajor = Number(process.versions.node.split('.')[0]);

function load(): typeof BetterSqlite3 {
  if (nodeMajor >= 22) return require('better-sqlite3') as typeof BetterSqlite3;
  try {
    return require('better-sqlite3-node20') as typeof BetterSqlite3;
  } catch (error) {
    throw new Error(
      `Keyslip needs Node.js 22 or 24 (this is ${process.version}); on Node.js 20 it needs the optional package ` +
        `better-sqlite3-node20, which did not install: ${(error as Error).message}`,
    );
  }
}

export const Sqlite = load();
export type SqliteConnection = BetterSqlite3.Database;
export type SqliteStatement = BetterSqlite3.Statement;
