// The benchmark peer: DuckDB converting a CSV file to Parquet in one statement.
//   node duckdb_csv_to_parquet.mjs IN.csv OUT.parquet [zstd|snappy|gzip|uncompressed]
// Prints {"seconds": <time of the COPY statement alone>, "bytes": <output size>}.
import { statSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const [input, output, codec = 'zstd'] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node duckdb_csv_to_parquet.mjs IN.csv OUT.parquet [codec]');
  process.exit(2);
}
const quote = s => `'${s.replaceAll("'", "''")}'`;
const connection = await (await DuckDBInstance.create(':memory:')).connect();
const start = process.hrtime.bigint();
await connection.run(
  `COPY (FROM read_csv(${quote(input)})) TO ${quote(output)} (FORMAT parquet, COMPRESSION ${codec})`);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(JSON.stringify({ seconds, bytes: statSync(output).size }));
