// Makes the wire bytes of avro.ndjson, json-schema.ndjson and
// protobuf.ndjson with @kafkajs/confluent-schema-registry 3.9.0 (avsc, ajv,
// protobufjs), implementations independent of kx's. Run against a registry
// where the schemas get ids 1 (Avro), 2 (JSON Schema) and 3 (Protobuf),
// e.g. a fresh `kx broker --schema-registry-port 38081`:
//   npm install @kafkajs/confluent-schema-registry@3.9.0
//   node gen-kafkajs.js http://127.0.0.1:38081
const fs = require('fs');
const { SchemaRegistry, SchemaType } = require('@kafkajs/confluent-schema-registry');

// Avro decimal bytes: big-endian two's complement of the unscaled value.
function decimal(unscaled) {
  let n = BigInt(unscaled), bytes = [];
  const neg = n < 0n;
  for (;;) {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
    if ((n === 0n && !neg && (bytes[0] & 0x80) === 0) || (n === -1n && neg && (bytes[0] & 0x80) !== 0)) break;
  }
  return Buffer.from(bytes);
}

(async () => {
  const registry = new SchemaRegistry({ host: process.argv[2] });
  const avro = await registry.register({ type: SchemaType.AVRO, schema: fs.readFileSync('order.avsc', 'utf8') }, { subject: 'orders-avro-value' });
  const json = await registry.register({ type: SchemaType.JSON, schema: fs.readFileSync('order.schema.json', 'utf8') }, { subject: 'orders-json-value' });
  const orders = [
    { orderId: 'ORD-1', status: 'PAID', total: decimal(1999), createdAt: Date.parse('2026-11-26T01:50:47.048Z'), shipBy: 20423,
      eventId: 'adabdfd9-3f5f-4660-9d19-18f7158e2ed4', note: 'gift', tags: ['a', 'b'], attrs: { x: 1, y: -2 },
      digest: Buffer.from([1, 2, 3, 4]), blob: Buffer.from('hi'), customer: { name: 'Ann', vip: true } },
    { orderId: 'ORD-2', status: 'ERROR', total: decimal(-123450), createdAt: 0, shipBy: 0,
      eventId: '00000000-0000-4000-8000-000000000000', note: null, tags: [], attrs: {},
      digest: Buffer.from([255, 0, 255, 0]), blob: Buffer.alloc(0), customer: { name: 'Bob', vip: false } },
  ];
  const out = [];
  for (const o of orders) {
    out.push(JSON.stringify({ key: o.orderId, value_base64: (await registry.encode(avro.id, o)).toString('base64') }));
  }
  fs.writeFileSync('avro.ndjson', out.join('\n') + '\n');
  const jout = [];
  for (const o of [{ orderId: 'ORD-3', amount: 12.5, status: 'PAID' }, { orderId: 'ORD-4', amount: 0.1, status: 'ERROR' }]) {
    jout.push(JSON.stringify({ key: o.orderId, value_base64: (await registry.encode(json.id, o)).toString('base64') }));
  }
  fs.writeFileSync('json-schema.ndjson', jout.join('\n') + '\n');
  const proto = await registry.register({ type: SchemaType.PROTOBUF, schema: fs.readFileSync('order.proto', 'utf8') }, { subject: 'orders-proto-value' });
  const pout = [];
  for (const o of [
    { orderId: 'ORD-5', status: 1, quantity: 3, tags: ['x'], attrs: { a: 1 }, customer: { name: 'Ann', vip: true }, voucher: 'XMAS', amount: 12.5 },
    { orderId: 'ORD-6', status: 2, quantity: 0, tags: [], attrs: {}, card: { last4: '4242' }, amount: 0 },
  ]) {
    const b = await registry.encode(proto.id, o);
    // kafkajs 3.9 writes no message indexes; Confluent's format wants them
    // after the schema id: one 0 byte names the file's first message.
    pout.push(JSON.stringify({ key: o.orderId, value_base64: Buffer.concat([b.subarray(0, 5), Buffer.from([0]), b.subarray(5)]).toString('base64') }));
  }
  fs.writeFileSync('protobuf.ndjson', pout.join('\n') + '\n');
  console.log('ids', avro.id, json.id, proto.id);
})().catch(e => { console.error(e); process.exit(1); });
