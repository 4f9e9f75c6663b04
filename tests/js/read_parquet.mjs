// Reads a Parquet file with an independent reader and prints it as JSON lines, values in a
// canonical form both readers agree on, so tests can compare them one by one with what sluice
// was given:
//   node read_parquet.mjs hyparquet|duckdb FILE [--columns a,b] [--limit N]
//   node read_parquet.mjs sql "STATEMENT; ..."     (DuckDB; prints the last result's rows as JSON)
// Line 1: {"reader", "num_rows", "row_groups", "columns": [{"name", "type"}], "metadata": {key: value}}
// Then one JSON array per row. Canonical values: null; true/false; integers, dates (days),
// times and timestamps (µs) as decimal strings; doubles as JSON numbers ("NaN", "Infinity",
// "-Infinity", "-0.0" as strings); decimals as exact text ("-12.340"); strings, UUIDs and JSON
// text as strings; binary as {"hex": "..."}.
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { DuckDBInstance } from '@duckdb/node-api';

const [readerName, file, ...rest] = process.argv.slice(2);
let columns = null;
let limit = Infinity;
for (let i = 0; i < rest.length; i++) {
  if (rest[i] === '--columns') columns = rest[++i].split(',');
  else if (rest[i] === '--limit') limit = Number(rest[++i]);
}
if (!readerName || !file) {
  console.error('usage: node read_parquet.mjs hyparquet|duckdb FILE [--columns a,b] [--limit N]');
  process.exit(2);
}

function decimalText(unscaled, scale) {
  let v = BigInt(unscaled);
  const negative = v < 0n;
  if (negative) v = -v;
  let digits = v.toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = digits.slice(0, digits.length - scale) + '.' + digits.slice(digits.length - scale);
  }
  return (negative ? '-' : '') + digits;
}

function bytesToBigInt(bytes) {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  if (bytes.length > 0 && bytes[0] & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return v;
}

function hex(bytes) {
  return Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');
}

function canonicalDouble(d) {
  if (Number.isNaN(d)) return 'NaN';
  if (d === Infinity) return 'Infinity';
  if (d === -Infinity) return '-Infinity';
  if (d === 0 && 1 / d < 0) return '-0.0';
  return d;
}

// Output is buffered and written in large chunks (1 M rows must not take long).
let out = '';
function emit(line) {
  out += line + '\n';
  if (out.length > (1 << 22)) {
    process.stdout.write(out);
    out = '';
  }
}
function flush() {
  return new Promise(resolve => process.stdout.write(out, resolve));
}

async function readHyparquet() {
  const buffer = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buffer);
  const leaves = metadata.schema.slice(1);
  // Decimals are re-read raw (hyparquet turns them into lossy JS numbers) and decoded exactly here.
  const kinds = {};
  for (const e of leaves) {
    const lt = e.logical_type;
    e.typeText = [e.type, e.repetition_type, e.converted_type ?? '', lt ? JSON.stringify(lt) : ''].join(' ').trim();
    let kind = 'raw';
    if (e.converted_type === 'DECIMAL' || lt?.type === 'DECIMAL') {
      kind = 'decimal';
      e.decimalScale = lt?.scale ?? e.scale ?? 0;
      delete e.converted_type;
      delete e.logical_type;
    } else if (e.type === 'BOOLEAN') kind = 'boolean';
    else if (e.type === 'FLOAT' || e.type === 'DOUBLE') kind = 'double';
    else if (lt?.type === 'TIME' || e.converted_type === 'TIME_MILLIS' || e.converted_type === 'TIME_MICROS') {
      kind = 'time';
      e.timeUnit = lt?.unit ?? (e.converted_type === 'TIME_MILLIS' ? 'MILLIS' : 'MICROS');
    } else if (e.type === 'INT32' || e.type === 'INT64' || e.type === 'INT96') kind = 'integer';
    else if (e.type === 'BYTE_ARRAY' || e.type === 'FIXED_LEN_BYTE_ARRAY') kind = 'bytes';
    kinds[e.name] = { kind, element: e };
  }
  const names = columns ?? leaves.map(e => e.name);
  const header = {
    reader: 'hyparquet',
    num_rows: Number(metadata.num_rows),
    row_groups: metadata.row_groups.length,
    columns: names.map(n => ({ name: n, type: kinds[n].element.typeText })),
    metadata: Object.fromEntries((metadata.key_value_metadata ?? []).map(kv => [kv.key, kv.value])),
  };
  const parsers = {
    timestampFromMilliseconds: v => BigInt(v) * 1000n,
    timestampFromMicroseconds: v => BigInt(v),
    timestampFromNanoseconds: v => { const n = BigInt(v); return n >= 0n ? n / 1000n : -((-n + 999n) / 1000n); },
    dateFromDays: v => BigInt(v),
    stringFromBytes: b => b && new TextDecoder().decode(b),
    jsonFromBytes: b => b && new TextDecoder().decode(b),
    uuidFromBytes: b => {
      if (!b) return undefined;
      const h = hex(b);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
    geometryFromBytes: b => b,
    geographyFromBytes: b => b,
  };
  let rows;
  await parquetRead({
    file: buffer, metadata, compressors, columns: names, parsers, utf8: false, rowEnd: Number.isFinite(limit) ? limit : undefined,
    onComplete: data => { rows = data; },
  });
  emit(JSON.stringify(header));
  const plan = names.map(n => kinds[n]);
  for (const row of rows) {
    emit(JSON.stringify(row.map((v, i) => {
      if (v === null || v === undefined) return null;
      const { kind, element } = plan[i];
      switch (kind) {
        case 'decimal': return decimalText(v instanceof Uint8Array ? bytesToBigInt(v) : BigInt(v), element.decimalScale);
        case 'boolean': return Boolean(v);
        case 'double': return canonicalDouble(v);
        case 'time': return String(element.timeUnit === 'MILLIS' ? BigInt(v) * 1000n
          : element.timeUnit === 'NANOS' ? BigInt(v) / 1000n : BigInt(v));
        case 'integer': return String(v);
        case 'bytes': return v instanceof Uint8Array ? { hex: hex(v) } : String(v);
        default: return typeof v === 'bigint' ? String(v) : v;
      }
    })));
  }
}

async function readDuckdb() {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const path = file.replaceAll("'", "''");
  const meta = await connection.runAndReadAll(
    `select decode(key) as k, decode(value) as v from parquet_kv_metadata('${path}')`);
  const metadata = Object.fromEntries(meta.getRows().map(([k, v]) => [k, v]));
  const count = await connection.runAndReadAll(`select count(*) from read_parquet('${path}')`);
  const groups = await connection.runAndReadAll(`select num_row_groups from parquet_file_metadata('${path}')`);
  const select = columns ? columns.map(c => `"${c.replaceAll('"', '""')}"`).join(', ') : '*';
  // file_row_number keeps the file's row order.
  const sql = `select ${select} from read_parquet('${path}', file_row_number = true) order by file_row_number` +
    (Number.isFinite(limit) ? ` limit ${limit}` : '');
  const result = await connection.runAndReadAll(sql);
  const names = result.columnNames().filter(n => n !== 'file_row_number');
  const types = result.columnTypes().map(t => t.toString());
  emit(JSON.stringify({
    reader: 'duckdb',
    num_rows: Number(count.getRows()[0][0]),
    row_groups: Number(groups.getRows()[0][0]),
    columns: names.map((n, i) => ({ name: n, type: types[i] })),
    metadata,
  }));
  for (const row of result.getRows()) {
    emit(JSON.stringify(row.slice(0, names.length).map((v, i) => {
      if (v === null || v === undefined) return null;
      const type = types[i];
      if (typeof v === 'boolean') return v;
      if (typeof v === 'bigint') return String(v);
      if (typeof v === 'number') return type === 'DOUBLE' || type === 'FLOAT' ? canonicalDouble(v) : String(v);
      if (typeof v === 'string') return v;
      const name = v.constructor?.name;
      if (name === 'DuckDBDecimalValue') return decimalText(v.value, v.scale);
      if (name === 'DuckDBDateValue') return String(v.days);
      if ('micros' in v) return String(v.micros);  // time, time tz, timestamp, timestamp tz
      if ('nanos' in v) return String(BigInt(v.nanos) / 1000n);
      if ('millis' in v) return String(BigInt(v.millis) * 1000n);
      if (name === 'DuckDBBlobValue') return { hex: hex(v.bytes) };
      return v.toString();  // UUID and anything else
    })));
  }
}

async function runSql() {
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  const statements = await connection.extractStatements(file);
  let result;
  for (let i = 0; i < statements.count; i++) result = await (await statements.prepare(i)).runAndReadAll();
  emit(JSON.stringify(result.getRowsJS(), (k, v) => (typeof v === 'bigint' ? String(v) : v)));
}

if (readerName === 'hyparquet') await readHyparquet();
else if (readerName === 'duckdb') await readDuckdb();
else if (readerName === 'sql') await runSql();
else {
  console.error(`unknown reader ${readerName}`);
  process.exit(2);
}
await flush();
