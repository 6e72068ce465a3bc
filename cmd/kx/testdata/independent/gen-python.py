# Makes python-avro.ndjson: Avro values in the Schema Registry wire format
# (magic byte 0, schema id 1 as 4 big-endian bytes, then the Avro binary)
# of order.avsc, written by Apache Avro's Python library (Debian
# python3-avro 1.11.1), an implementation independent of kx's and of
# kafkajs's avsc. Logical types are given as Python values (Decimal,
# datetime, date), so the library does their encoding. Run:
#   apt-get install -y python3-avro
#   /usr/bin/python3 gen-python.py > python-avro.ndjson
import base64, datetime, decimal, io, json, struct
import avro.io, avro.schema

schema = avro.schema.parse(open("order.avsc").read())
utc = datetime.timezone.utc
orders = [
    {"orderId": "PY-1", "status": "PAID", "total": decimal.Decimal("19.99"),
     "createdAt": datetime.datetime(2026, 11, 27, 10, 0, 0, 123000, tzinfo=utc),
     "shipBy": datetime.date(2026, 12, 1), "eventId": "6f1c0a52-5b8e-4d1e-9d2a-3f4c5b6a7d8e",
     "note": "gift", "tags": ["a", "b"], "attrs": {"x": 1, "big": 9007199254740993},
     "digest": b"\x01\x02\x03\x04", "blob": b"hi", "customer": {"name": "Zoé", "vip": True}},
    {"orderId": "PY-2", "status": "ERROR", "total": decimal.Decimal("-1234.50"),
     "createdAt": datetime.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=utc),
     "shipBy": datetime.date(1969, 12, 31), "eventId": "00000000-0000-4000-8000-000000000000",
     "note": None, "tags": [], "attrs": {}, "digest": b"\xff\x00\xff\x00", "blob": b"",
     "customer": {"name": "Bob", "vip": False}},
]
for o in orders:
    buf = io.BytesIO()
    buf.write(struct.pack(">bI", 0, 1))
    avro.io.DatumWriter(schema).write(o, avro.io.BinaryEncoder(buf))
    print(json.dumps({"key": o["orderId"], "value_base64": base64.b64encode(buf.getvalue()).decode()}))
