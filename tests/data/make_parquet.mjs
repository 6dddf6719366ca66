// Generates the Parquet files that test core/data's reader, with an independent writer: arrow-rs
// (the Rust Parquet implementation) compiled to WebAssembly as the npm package parquet-wasm.
// Run from this folder: `npm ci && node make_parquet.mjs`. Writes parquet/*.parquet and
// parquet/expected.json (the exact strings every file holds, in order, nulls left out).
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm/esm';
import { parquetMetadata } from 'hyparquet';
import fs from 'fs';
import { createRequire } from 'module';

const req = createRequire(import.meta.url);
pw.initSync({ module: fs.readFileSync(req.resolve('parquet-wasm/esm/parquet_wasm_bg.wasm')) });
const outDir = new URL('./parquet/', import.meta.url).pathname;
fs.mkdirSync(outDir, { recursive: true });

// A deterministic corpus: repeats (so dictionaries matter), Unicode, empty and long strings.
const base = ['The quick brown fox.', 'héllo wörld', '日本語のテキスト', 'emoji 🙂🚀', '',
  'line one\nline two', 'quote " and, comma', 'tab\there', 'a'.repeat(700), 'Zürich'];
let seed = 12345;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const rows = [];
for (let i = 0; i < 45; ++i)
  rows.push(rand() < 0.5 ? base[Math.floor(rand() * base.length)] : `document ${i}: ${base[i % base.length]}`);

function makeTable(texts, nullable, textType = new arrow.Utf8()) {
  const fields = [new arrow.Field('id', new arrow.Int64(), false), new arrow.Field('text', textType, nullable)];
  const schema = new arrow.Schema(fields);
  const ids = arrow.vectorFromArray(texts.map((_, i) => BigInt(i)), new arrow.Int64());
  const txt = arrow.vectorFromArray(texts, textType);
  const data = arrow.makeData({ type: new arrow.Struct(fields), length: texts.length, nullCount: 0,
    children: [ids.data[0], txt.data[0]] });
  return new arrow.Table(schema, new arrow.RecordBatch(schema, data));
}
const toWasm = (t) => pw.Table.fromIPCStream(arrow.tableToIPC(t, 'stream'));

function props({ codec, version, dict, encoding }) {
  let b = new pw.WriterPropertiesBuilder().setCompression(codec).setWriterVersion(version)
    .setDictionaryEnabled(dict).setMaxRowGroupSize(16).setDataPageSizeLimit(256)
    .setWriteBatchSize(4).setStatisticsEnabled(pw.EnabledStatistics.None);
  if (encoding !== undefined) b = b.setColumnEncoding('text', encoding);
  return b.build();
}

// Minimal Thrift compact reader, only to find page headers for the PLAIN_DICTIONARY rewrite.
function readPageHeader(buf, pos) {
  const varint = () => { let v = 0n, s = 0n, b; do { b = buf[pos++]; v |= BigInt(b & 0x7f) << s; s += 7n; } while (b & 0x80); return v; };
  const zz = () => { const v = varint(); return Number((v >> 1n) ^ -(v & 1n)); };
  const fields = {};
  const struct = (out) => {
    let last = 0;
    for (;;) {
      const h = buf[pos++];
      if (h === 0) return;
      const type = h & 0x0f; const delta = h >> 4;
      const id = delta ? last + delta : zz(); last = id;
      if (type === 12) { out[id] = { at: pos }; struct(out[id]); }
      else if (type === 5 || type === 6 || type === 4) { const at = pos; out[id] = { at, v: zz() }; }
      else if (type === 1 || type === 2) out[id] = { v: type === 1 };
      else throw new Error(`unexpected thrift type ${type} in a page header`);
    }
  };
  struct(fields);
  return { fields, end: pos };
}

// arrow-rs writes RLE_DICTIONARY; parquet-mr 1.x files (and older Hub datasets) use the
// deprecated PLAIN_DICTIONARY, which has the same layout. Rewrite the one-byte encoding enums.
function toPlainDictionary(bytes) {
  const meta = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  for (const rg of meta.row_groups) {
    const m = rg.columns[1].meta_data;
    let pos = Number(m.dictionary_page_offset ?? m.data_page_offset);
    const end = pos + Number(m.total_compressed_size);
    while (pos < end) {
      const { fields, end: bodyAt } = readPageHeader(bytes, pos);
      const type = fields[1].v;
      const enc = type === 0 ? fields[5][2] : type === 2 ? fields[7][2] : null;
      if (enc && bytes[enc.at] === (type === 0 ? 16 : 0)) bytes[enc.at] = 4; // zigzag(2)
      pos = bodyAt + fields[3].v;
    }
  }
  return bytes;
}

const expected = {};
function write(name, table, p, info, patch) {
  let bytes = pw.writeParquet(toWasm(table), p);
  if (patch) bytes = patch(Uint8Array.from(bytes));
  fs.writeFileSync(outDir + name, bytes);
  expected[name] = info;
}

const codecs = { uncompressed: pw.Compression.UNCOMPRESSED, snappy: pw.Compression.SNAPPY,
  gzip: pw.Compression.GZIP, zstd: pw.Compression.ZSTD };
for (const [cname, codec] of Object.entries(codecs))
  for (const version of [1, 2])
    for (const enc of ['plain', 'dict', 'plaindict']) {
      if (enc === 'plaindict' && version === 2) continue; // PLAIN_DICTIONARY is a v1-era encoding
      for (const optional of [false, true]) {
        const texts = optional ? rows.map((r, i) => (i % 4 === 1 ? null : r)) : rows;
        const name = `${cname}_v${version}_${enc}_${optional ? 'optional' : 'required'}.parquet`;
        // arrow-rs falls back to DELTA_BYTE_ARRAY with v2 pages; pyarrow (most Hub datasets) and
        // this matrix use PLAIN as the non-dictionary encoding.
        const p = props({ codec, version: version === 1 ? pw.WriterVersion.V1 : pw.WriterVersion.V2,
          dict: enc !== 'plain', encoding: pw.Encoding.PLAIN });
        write(name, makeTable(texts, optional), p, {
          texts: texts.filter((t) => t !== null), nulls: texts.filter((t) => t === null).length,
          rows: texts.flatMap((t, i) => (t === null ? [] : [i])),
          codec: cname.toUpperCase(), page_version: version,
          encoding: { plain: 'PLAIN', dict: 'RLE_DICTIONARY', plaindict: 'PLAIN_DICTIONARY' }[enc],
          row_groups: Math.ceil(texts.length / 16) }, enc === 'plaindict' ? toPlainDictionary : null);
      }
    }

// Valid files with features the reader refuses with a message naming the feature.
const short = rows.slice(0, 5);
write('unsupported_delta_byte_array.parquet', makeTable(short, false),
  props({ codec: 0, version: pw.WriterVersion.V2, dict: false, encoding: pw.Encoding.DELTA_BYTE_ARRAY }),
  { error: 'DELTA_BYTE_ARRAY' });
write('unsupported_lz4_raw.parquet', makeTable(short, false),
  props({ codec: pw.Compression.LZ4_RAW, version: pw.WriterVersion.V1, dict: false }), { error: 'LZ4_RAW' });
const listType = new arrow.List(new arrow.Field('item', new arrow.Utf8(), true));
write('unsupported_list.parquet', makeTable(short.map((s) => [s, s]), true, listType),
  props({ codec: 0, version: pw.WriterVersion.V1, dict: false }), { error: 'repeated' });

fs.writeFileSync(outDir + 'expected.json', JSON.stringify(expected, null, 1) + '\n');
console.log(`wrote ${Object.keys(expected).length} files to ${outDir}`);
